"""imaging-cloud's policy pack: the rules, their metadata, and how they are evaluated.

``registry.all_policies()`` lists every policy; ``evaluate.evaluate_stack`` runs them on a
rendered stack (the offline audit); ``engine.crossguard_policies`` wraps the same
functions for pulumi-policy (``policies/__main__.py``).
"""

PACK_NAME = "imaging-cloud"
