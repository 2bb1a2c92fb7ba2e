//! Global management, one module per menu in the product's order: contract
//! service status (contracts, fees, org info), org admins, company info, CTI management,
//! permission change log, data migration. Only the OWNER and org admins reach it (the
//! `OrgAdmin` extractor).

pub mod company;
pub mod contracts;
pub mod cti;
pub mod fees;
pub mod migration;
pub mod org;
pub mod org_admins;
pub mod permission_log;

/// Where a global-management page sits: the side menu (the product's menus, in its order)
/// and, inside contract service status, its tabs. `current` names the page.
pub struct Tabs {
    pub current: &'static str,
}

/// One entry of the side menu.
pub struct MenuItem {
    pub id: &'static str,
    pub href: &'static str,
    pub key: &'static str,
    pub current: bool,
}

/// The contract service status tabs.
const CONTRACT_STATUS: [&str; 3] = ["contracts", "fees", "org"];

impl Tabs {
    /// The product's menus in its order; a menu whose area does not exist yet is not shown
    /// , nor company info for an organization without a
    /// counselling service.
    pub fn menu(&self, has_counseling: &bool) -> Vec<MenuItem> {
        let has_counseling = *has_counseling;
        let u = crate::routes::Urls;
        let all: [(&'static str, Option<&'static str>, &'static str); 6] = [
            (
                "contract-status",
                Some(u.admin_contracts()),
                "menu-contract-status",
            ),
            ("org-admins", Some(u.admin_org_admins()), "menu-org-admins"),
            (
                "company",
                has_counseling.then(|| u.admin_company_info()),
                "menu-company",
            ),
            ("cti", Some(u.admin_cti()), "menu-cti"),
            (
                "permission-log",
                Some(u.admin_permission_logs()),
                "menu-permission-log",
            ),
            (
                "migration",
                Some(u.admin_data_migrations()),
                "menu-migration",
            ),
        ];
        all.into_iter()
            .filter_map(|(id, href, key)| {
                Some(MenuItem {
                    id,
                    href: href?,
                    key,
                    current: if id == "contract-status" {
                        self.in_contract_status()
                    } else {
                        id == self.current
                    },
                })
            })
            .collect()
    }

    pub fn in_contract_status(&self) -> bool {
        CONTRACT_STATUS.contains(&self.current)
    }

    /// The tabs of contract service status: (href, label key, current).
    pub fn items(&self) -> Vec<(&'static str, &'static str, bool)> {
        let u = crate::routes::Urls;
        [
            ("contracts", u.admin_contracts(), "tab-contracts"),
            ("fees", u.admin_fees(), "tab-fees"),
            ("org", u.admin_org(), "tab-org"),
        ]
        .into_iter()
        .map(|(id, href, key)| (href, key, id == self.current))
        .collect()
    }
}
