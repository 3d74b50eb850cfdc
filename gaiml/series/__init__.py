"""Reports read as series: a body's documents linked across years (link), checked against each
other by the cross-year relations (relations), compared year by year (compare, chart)."""
