"""The operations console: unfold ModelAdmins for Email, Log, Attachment (and a basic
EmailTemplate admin), their views and actions. An adapter over post_office's engine: business
logic lives in :mod:`post_office.operations`, :mod:`post_office.preview` and below."""
