"""The template studio's business logic, callable without the admin.

- :mod:`.sources`: syntax check with the line, size limits, variables a template uses.
- :mod:`.validation`: a template family (default + translations) checked as a whole.
- :mod:`.preview`: one language rendered through the delivery renderer, made safe to show.
- :mod:`.history`: versions of a family, their diff, restoring one.
- :mod:`.testsend`: a test email through ``mail.send``.
"""
