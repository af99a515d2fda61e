"""Services: the business logic every front end (editor, CLI, API) calls; front ends only
translate gestures and arguments into these calls and present the results.

``session`` (ProjectSession: open, edit, undo/redo, save, autosave, the writer lock),
``media`` (import with dedupe, scan, relink, remove, usage), ``describe`` (project summary),
``placement`` (where dropped media and generations go), ``generation`` (regenerate from
provenance, landing finished jobs), ``jobs`` (list, cancel, retry, spend), ``render`` (the
"export" job kind, exports the editor runs, in-process renders), ``settings`` (validate and
apply, keyring). Submodules are imported on use (this package imports no Qt GUI code).
"""
