#!/usr/bin/env python3
"""Writes the history-base benchmark of issue 12: a BG/NBD cohort whose existing customers keep
their history, with the CSV `ceq fit transactions --write-scenario` would write for them.

    python3 benches/history_base.py OUT_DIR [--customers 1000000] [--seed 12] [--spend]
    /usr/bin/time -v ceq -q simulate OUT_DIR/history_million.toml

Customers are drawn from the BG/NBD model itself at the CDNOW estimates (Fader, Hardie & Lee
2005a; weeks): λ ~ Gamma(r = 0.243, rate α = 4.414), p ~ Beta(a = 0.793, b = 2.426); each first
buys on a day uniform over the first 12 weeks, repeat purchases follow a Poisson process of
rate λ, and after each repeat purchase the customer drops out with probability p. The
calibration ends on day 546 (week 78); T and the recency are in weeks of whole days, as the
transaction-log reader counts them. With `--spend` each repeat buyer also gets the average of
its repeat orders (Gamma-Gamma, p = 6.25, q = 3.74, γ = 15.44: ν ~ Gamma(q, rate γ), each order
~ Gamma(p, rate ν)), the `monetary_value` column, and the cohort Gamma-Gamma order values.
Identical histories are merged into one row with its count. Standard library only, so it runs
wherever Python 3 does; the output depends only on the seed.
"""

import argparse
import math
import os
import random
from collections import Counter

R, ALPHA, A, B = 0.243, 4.414, 0.793, 2.426
P, Q, GAMMA = 6.25, 3.74, 15.44
END_DAY = 546
FIRST_DAYS = 84


def customer(rng, spend):
    """(frequency, recency days, T days, monetary value or None) of one simulated customer."""
    first = rng.randrange(FIRST_DAYS)
    age = (END_DAY - first) / 7.0
    rate = rng.gammavariate(R, 1.0 / ALPHA)
    dropout = rng.betavariate(A, B)
    # Repeat purchases on whole days after the first; orders of one day are one transaction.
    days, t = set(), 0.0
    while rate > 0.0:
        t += rng.expovariate(rate)
        if t > age:
            break
        days.add(max(1, math.ceil(t * 7.0)))
        if rng.random() < dropout:
            break
    days = {d for d in days if d <= END_DAY - first}
    x = len(days)
    recency_days = max(days) if days else 0
    money = None
    if spend and x > 0:
        nu = rng.gammavariate(Q, 1.0 / GAMMA)
        money = round(sum(rng.gammavariate(P, 1.0 / nu) for _ in range(x)) / x, 2)
    return x, recency_days, END_DAY - first, money


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--spend", action="store_true")
    parser.add_argument("--periods", type=int, default=104)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counts = Counter(customer(rng, args.spend) for _ in range(args.customers))
    os.makedirs(args.out, exist_ok=True)
    stem = "history_million"
    with open(os.path.join(args.out, stem + ".history.csv"), "w") as f:
        f.write("frequency,recency,T,count,monetary_value\n")
        for (x, recency, age, money), n in sorted(counts.items(), key=lambda kv: kv[0][:3]):
            m = "" if money is None else repr(money)
            f.write(f"{x},{recency / 7.0!r},{age / 7.0!r},{n},{m}\n")
    order_value = (
        "{ p = 6.25, q = 3.74, gamma = 15.44 }" if args.spend else "{ mean = 35.0, cv = 0.6 }"
    )
    with open(os.path.join(args.out, stem + ".toml"), "w") as f:
        f.write(
            f"""# {args.customers} BG/NBD customers who keep their history (benches/history_base.py,
# seed {args.seed}): {len(counts)} distinct histories.
name = "history base (benchmark)"

[time]
periods = {args.periods}
periods_per_year = 52
discount_rate = 0.10

[[cohorts]]
name = "shoppers"
retention = {{ dropout_alpha = {A}, dropout_beta = {B} }}
purchases = {{ mean = {R / ALPHA!r}, shape = {R} }}
order_value = {order_value}
margin = 0.30
history = "{stem}.history.csv"
"""
        )
    print(f"{args.customers} customers, {len(counts)} distinct histories in {args.out}")


if __name__ == "__main__":
    main()
