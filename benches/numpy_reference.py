"""A straightforward NumPy implementation of ceq's per-customer model, for speed comparison.

Same model as the `customer_engine/poisson_gamma_100k_60` criterion bench: one cohort of
100,000 customers, constant retention 0.98 per month, Poisson(0.8) orders per month, Gamma order
values (mean 40, cv 0.6), 60 monthly periods discounted at 10% a year, "end" timing. Each
period draws per-customer orders and churn uniforms vectorised over the active customers, the
way an analyst would write it in NumPy.

    python3 benches/numpy_reference.py [runs]

Prints the mean CE (to check it against ceq's) and customer-periods per second. Not part of
the build or the tests; needs numpy.
"""
import sys
import time

import numpy as np


def simulate_run(rng, customers=100_000, periods=60, retention=0.98, rate=0.8, mean=40.0,
                 cv=0.6, annual_rate=0.10):
    delta = (1.0 + annual_rate) ** (-1.0 / 12.0)
    active = customers
    ce = 0.0
    customer_periods = 0
    shape, scale = 1.0 / cv**2, mean * cv**2
    for t in range(1, periods + 1):
        customer_periods += active
        orders = rng.poisson(rate, size=active)
        total_orders = int(orders.sum())
        revenue = rng.gamma(shape * total_orders, scale) if total_orders > 0 else 0.0
        ce += delta**t * revenue
        stay = rng.random(active) >= (1.0 - retention)
        active = int(stay.sum())
    return ce, customer_periods


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    results = [simulate_run(rng) for _ in range(runs)]
    elapsed = time.perf_counter() - start
    ce = np.mean([r[0] for r in results])
    work = sum(r[1] for r in results)
    print(f"runs {runs}  mean CE {ce:,.0f}  time {elapsed:.2f} s  "
          f"{work / elapsed / 1e6:.1f} M customer-periods/s (one core)")


if __name__ == "__main__":
    main()
