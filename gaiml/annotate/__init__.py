"""Active learning with Label Studio: pick the reports a label would teach most, send them with
the model's spans as pre-annotations, take the people's spans back as training examples.

- ``label_config``: the labelling interface, generated from the model's entity set.
- ``select``: rank unlabelled reports (uncertainty, broken relations, engine disagreement, diversity).
- ``tasks``: extraction <-> Label Studio task, prediction and annotation JSON, every span checked.
- ``client``: the few label-studio-sdk calls used, imported lazily.
- ``review``: the review queue: flagged extraction results out as tasks, corrected documents back.

Offsets are code-point offsets into the report text as read, in Label Studio as everywhere else.
"""
