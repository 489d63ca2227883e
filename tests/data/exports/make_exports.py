"""Writes the export-quirk fixtures in this folder from the CDNOW sample.

Run from the repository root: python3 tests/data/exports/make_exports.py

Each file holds the same orders as exports_reference.csv (the CDNOW sample's orders of its first
300 customers, ISO dates, plain amounts, one order in forty made 40 times larger so that
thousands separators occur), written the way a firm's system might export them, so a
test can check that ceq reads every one of them into exactly the same transactions:

- us_month_first.csv: "Customer ID,Order Date,Order Total", dates 01/18/1997 (month first),
  amounts "$1,234.50" (quoted when they have a comma);
- european_day_first.csv: semicolons, "Customer ID;Order Date;Revenue", dates 18.01.1997,
  amounts "1.234,50 €";
- named_months.csv: tab-separated, "customer,date,amount", dates "18 Jan 1997" (needs
  --date-format "%d %b %Y");
- ambiguous_dates.csv: only the orders placed on days 1-12 of a month, dates 03/04/1997 day
  first: nothing in the file decides the order, so ceq must ask for --date-format;
- missing_columns.csv: a header with neither a date nor an amount column;
- survival_shares.csv: Fader & Hardie's regular and high-end retention table as shares of the
  cohort (1.000, 0.631, ...) instead of counts of customers.
"""

import csv
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)

with open(os.path.join(DATA, "cdnow_sample_transactions.csv"), newline="") as f:
    rows = list(csv.DictReader(f))
customers = []
for row in rows:
    if row["customer_id"] not in customers:
        customers.append(row["customer_id"])
keep = set(customers[:300])
orders = [r for r in rows if r["customer_id"] in keep]
for i, r in enumerate(orders):
    if i % 40 == 4:
        r["amount"] = f"{float(r['amount']) * 40 + 0.5:.2f}"


def parts(date):
    y, m, d = date.split("-")
    return y, m, d


def money(amount, thousands, decimal):
    whole, cents = f"{float(amount):.2f}".split(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return thousands.join(groups) + decimal + cents


def write(name, header, lines, delimiter=","):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        w.writerow(header)
        w.writerows(lines)


write(
    "exports_reference.csv",
    ["customer_id", "date", "amount"],
    [[r["customer_id"], r["date"], r["amount"]] for r in orders],
)
write(
    "us_month_first.csv",
    ["Customer ID", "Order Date", "Order Total"],
    [
        [r["customer_id"], "{1}/{2}/{0}".format(*parts(r["date"])), "$" + money(r["amount"], ",", ".")]
        for r in orders
    ],
)
write(
    "european_day_first.csv",
    ["Customer ID", "Order Date", "Revenue"],
    [
        [r["customer_id"], "{2}.{1}.{0}".format(*parts(r["date"])), money(r["amount"], ".", ",") + " €"]
        for r in orders
    ],
    delimiter=";",
)
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
write(
    "named_months.csv",
    ["customer", "date", "amount"],
    [
        [r["customer_id"], "{} {} {}".format(parts(r["date"])[2], MONTHS[int(parts(r["date"])[1]) - 1], parts(r["date"])[0]), r["amount"]]
        for r in orders
    ],
    delimiter="\t",
)
write(
    "ambiguous_dates.csv",
    ["customer_id", "date", "amount"],
    [
        [r["customer_id"], "{2}/{1}/{0}".format(*parts(r["date"])), r["amount"]]
        for r in orders
        if int(parts(r["date"])[2]) <= 12
    ],
)
write(
    "missing_columns.csv",
    ["Customer ID", "Quantity", "Notes"],
    [[r["customer_id"], "1", ""] for r in orders[:5]],
)
with open(os.path.join(DATA, "fader_hardie_2007_survival.csv"), newline="") as f:
    table = list(csv.reader(f))
header, body = table[0], table[1:]
write(
    "survival_shares.csv",
    header,
    [[row[0]] + [f"{int(v) / int(body[0][i + 1]):.3f}" for i, v in enumerate(row[1:])] for row in body],
)
print(len(orders), "orders of", len(keep), "customers")
