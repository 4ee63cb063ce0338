"""OpenPbR outcomes: paired HoNOS outcomes, governed quality indicators,
XmR charts (Making Data Count) and gaming / cream-skimming detection.

Main entry points:

- ``inputs.OutcomeInputs``: the four input tables (build, read_csv, write_csv)
- ``records_adapter.read_inputs(db, start, end)``: inputs from the records database
- ``pairing.pair_outcomes(inputs)``, ``pairing.item_transitions(pairs)``
- ``indicators.compute_indicators(inputs, start, end)``: results per unit and month
- ``payment_feed.payment_indicator_results(results, contracts, start, end)``
- ``spc.xmr(values)``, ``spc.xmr_table(results)``, ``charts.xmr_png(...)``
- ``gaming.detect_gaming(inputs, start, end)``
- ``synthetic.gaming_trust(seed)``: the seeded trust with planted gaming

See docs/outcomes.md.
"""
