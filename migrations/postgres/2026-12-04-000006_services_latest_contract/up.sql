-- Each service's latest contract, kept on the service in the transaction that adds a
-- contract, so the contract list reads one table in one statement.
ALTER TABLE services ADD COLUMN latest_effective TEXT;
ALTER TABLE services ADD COLUMN latest_cost BIGINT;
UPDATE services SET
    latest_effective = (SELECT MAX(c.effective_date) FROM contracts c WHERE c.service_ref = services.id);
UPDATE services SET
    latest_cost = (SELECT c.monthly_cost FROM contracts c
                   WHERE c.service_ref = services.id AND c.effective_date = services.latest_effective);
