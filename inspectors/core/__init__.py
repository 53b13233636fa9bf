"""The run layer and what it stands on: sources and shards, storage, the attribute store, views, saved queries, plans, estimates and findings."""
