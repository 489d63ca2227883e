"""Synthetic lever data for the README walk-through of `ceq fit response` and
`ceq fit retention-test` (python3 make_levers.py; standard library only, seeded).

spend_history.csv: 104 weeks, two channels with flighted spend (on in ~60% / ~50% of weeks).
  search: 200,000 prospects, ceiling 0.01, half_spend 0.2 per prospect, carryover 0.3
  social:  50,000 prospects, ceiling 0.02, half_spend 0.3 per prospect, carryover 0.5
  new customers are exact binomial draws (sums of Bernoulli trials) from SPEC section 4's curve.
retention_test.csv: a control and three spend levels (2, 5, 12 per customer per period),
  8,000 customers each, 12 periods; control churn 0.08 - 0.003 t, reduced by
  0.35 (1 - 2^(-s/4)) (SPEC section 5), each customer churning independently.
"""
import random

rng = random.Random(2026)


def adstock(spend, carryover):
    level, out = 0.0, []
    for s in spend:
        level = s + carryover * level
        out.append(level)
    return out


def binomial(n, p):
    return sum(1 for _ in range(n) if rng.random() < p)


weeks = 104
search = [round(rng.uniform(5000, 90000), 2) if t == 0 or rng.random() < 0.6 else 0.0 for t in range(weeks)]
social = [round(rng.uniform(2000, 30000), 2) if t == 0 or rng.random() < 0.5 else 0.0 for t in range(weeks)]
p_search = [0.01 * (1 - 2 ** (-(e / 200000) / 0.2)) for e in adstock(search, 0.3)]
p_social = [0.02 * (1 - 2 ** (-(e / 50000) / 0.3)) for e in adstock(social, 0.5)]
with open("spend_history.csv", "w") as f:
    f.write("week,spend_search,spend_social,new_search,new_social\n")
    for t in range(weeks):
        f.write(f"{t + 1},{search[t]},{social[t]},{binomial(200000, p_search[t])},{binomial(50000, p_social[t])}\n")

with open("retention_test.csv", "w") as f:
    f.write("group,spend,period,active\n")
    for group, spend in [("control", 0), ("low", 2), ("mid", 5), ("high", 12)]:
        active = 8000
        reduction = 0.35 * (1 - 2 ** (-spend / 4))
        f.write(f"{group},{spend},0,{active}\n")
        for t in range(12):
            active -= binomial(active, (0.08 - 0.003 * t) * (1 - reduction))
            f.write(f"{group},{spend},{t + 1},{active}\n")
