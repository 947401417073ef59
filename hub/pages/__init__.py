"""The hub's pages for stewards, officers and analysts, in Bahasa Indonesia, served under ``/ui/``.

Same process, roles and audit log as the API: pages read through the API's own schema
(``gql.query``) as the signed-in officer. See ``routes.py`` for what is mounted.
"""
