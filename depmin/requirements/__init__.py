"""Stage 3, requirements: import names mapped to distributions, and each agent's minimal set.

``mapping`` is the ordered resolution chain with provenance; ``generated`` decides what an agent
installs and renders ``requirements.generated.txt``; ``needs`` infers GPU, web, audio and vision needs.
May import :mod:`depmin.manifest` and :mod:`depmin.scanning`.
"""
