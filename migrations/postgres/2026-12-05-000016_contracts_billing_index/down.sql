DROP INDEX contracts_billing;
