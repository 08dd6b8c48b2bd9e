"""Sample data for the example project: templates from ``templates/post_office_demo/emails/``
and a few hundred emails in every state, made through post_office's public API.
"""
