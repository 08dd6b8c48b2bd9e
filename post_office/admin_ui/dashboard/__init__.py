"""The console's live dashboard (on the admin index) and per-backend page: an adapter over
:mod:`post_office.stats` that renders unfold components and htmx partials."""
