ALTER TABLE services DROP COLUMN latest_cost;
ALTER TABLE services DROP COLUMN latest_effective;
