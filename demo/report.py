import csv
import sys
from collections import defaultdict


def load_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def totalsByRegion(rows):
    totals = defaultdict(float)
    for row in rows:
        totals[row["region"]] += float(row["amount"])
    return totals


def printReport(totals):
    for region, amount in sorted(totals.items()):
        print(f"{region:<12} {amount:>10.2f}")


if __name__ == "__main__":
    printReport(totalsByRegion(load_rows(sys.argv[1])))
