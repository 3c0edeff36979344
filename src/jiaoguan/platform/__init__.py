"""The kernel every module may use: database, access, audit, events, push, work orders, registries."""
