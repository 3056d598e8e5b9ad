"""Pipeline steps: plain, typed functions over the records in ``flows.records`` (no Prefect here)."""
