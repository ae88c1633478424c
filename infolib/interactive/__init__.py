"""The what-if tool and the notebook widgets."""
