DROP TABLE org_members;
DROP TABLE organizations;
DROP TABLE payment_methods;
