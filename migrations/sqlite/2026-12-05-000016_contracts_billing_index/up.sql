-- The fee page reads each service's contracts from a day on: the rows come from this
-- index alone (no table lookup per contract).
CREATE INDEX contracts_billing ON contracts (service_ref, effective_date, monthly_cost);
