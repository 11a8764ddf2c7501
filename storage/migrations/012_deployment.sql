-- The deployment: one row naming this database's Bidcast deployment. Every
-- node of one cluster shares the database and so reads the same ID; two
-- deployments (staging and production, say) have different ones. The nodes
-- derive the namespace of their shared Redis names from it (task queues,
-- the cluster registry), so two deployments on one Redis database keep
-- apart. A database restored from another deployment's dump carries that
-- deployment's ID: set REDIS_NAMESPACE on one of them.

CREATE TABLE deployment (
  only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO deployment DEFAULT VALUES;
