//! Global management (전체 관리), one module per menu in the product's order: contract
//! service status (contracts, fees, org info), org admins, company info, CTI management,
//! permission change log, data migration. Only the OWNER and org admins reach it (the
//! `OrgAdmin` extractor).

pub mod contracts;
pub mod fees;
pub mod org;
