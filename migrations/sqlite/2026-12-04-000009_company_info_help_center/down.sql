DROP INDEX services_company_info;
ALTER TABLE services DROP COLUMN company_info_id;
DROP TABLE company_infos;
