"""Stage 5, layers: which locked distributions go into each family base image and which stay in services.

``plan`` is the decision under the objective of ``docs/layers.md``; ``render`` turns a plan into the
family and delta locks, ``plan.json``, ``plan.md`` and the ``--explain`` text. May import the stages
before it.
"""
