"""Who may see what: roles and their permissions, masking, the audit log (UU PDP 27/2022).

Below both the API (``hub/api``) and the resolvers, which import it; it imports neither."""
