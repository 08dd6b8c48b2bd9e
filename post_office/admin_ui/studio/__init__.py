"""The template studio: the EmailTemplate side of the console (editor, preview, test send,
import/export, history). Business logic lives in :mod:`post_office.templates_service`."""
