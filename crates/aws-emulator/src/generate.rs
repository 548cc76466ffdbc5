//! Generated organisations for benchmarks: `aws-emulator serve --generate N` builds one of N
//! accounts in which a few host Connect instances.
//!
//! Promises: the same N gives the same organisation (ids are derived, not random); one user,
//! `agent@example.com`, has two roles in every account, one of which can federate into Connect in
//! every [`CONNECT_EVERY`]-th account (each of those accounts holds one instance), plus a SAML
//! application for each instance.

use crate::org::{
    Account, Assignment, ConnectInstance, Directory, DomainForm, Org, PermissionSet,
    SamlApplication, SessionLengths, User,
};

/// One account in this many hosts a Connect instance (25 of 1,000).
pub const CONNECT_EVERY: usize = 40;
/// The generated organisation's one user.
pub const GENERATED_USER: &str = "agent@example.com";

/// An organisation of `accounts` accounts.
pub fn organisation(accounts: usize) -> Org {
    let user = GENERATED_USER.to_owned();
    let mut org = Org {
        directory: Directory {
            id: "d-90670000aa".into(),
            region: "us-east-1".into(),
            sso_instance_id: "ssoins-0000000000000001".into(),
        },
        sessions: SessionLengths::default(),
        users: vec![User {
            user_name: user.clone(),
            display_name: "Generated Agent".into(),
            email: user.clone(),
        }],
        accounts: Vec::new(),
        permission_sets: vec![
            PermissionSet {
                name: "ConnectAgent".into(),
                connect_federation: true,
            },
            PermissionSet {
                name: "ReadOnlyAccess".into(),
                connect_federation: false,
            },
            PermissionSet {
                name: "DeveloperAccess".into(),
                connect_federation: false,
            },
        ],
        assignments: Vec::new(),
        saml_applications: Vec::new(),
        connect_instances: Vec::new(),
    };
    for i in 0..accounts {
        let id = format!("{:012}", 100_000_000_000u64 + i as u64);
        org.accounts.push(Account {
            id: id.clone(),
            name: format!("Workload {i:04}"),
            email: format!("aws-{i:04}@example.com"),
        });
        let connect = i % CONNECT_EVERY == 0;
        let roles = if connect {
            ["ConnectAgent", "ReadOnlyAccess"]
        } else {
            ["ReadOnlyAccess", "DeveloperAccess"]
        };
        for role in roles {
            org.assignments.push(Assignment {
                user: user.clone(),
                account: id.clone(),
                permission_set: role.into(),
            });
        }
        if connect {
            let instance_id = crate::ids::stable_uuid(&format!("generated-instance/{i}"));
            let alias = format!("gen-cc-{i:04}");
            org.saml_applications.push(SamlApplication {
                id: format!("ins-{:016x}", i as u64 + 1),
                name: format!("Amazon Connect - {alias}"),
                description: String::new(),
                relay_state: format!(
                    "https://us-east-1.console.aws.amazon.com/connect/federate/{instance_id}"
                ),
                account: id.clone(),
                role: "ConnectSAMLFederation".into(),
                users: vec![user.clone()],
            });
            org.connect_instances.push(ConnectInstance {
                id: instance_id,
                alias,
                account: id.clone(),
                region: "us-east-1".into(),
                domain: DomainForm::New,
                identity_management: "SAML".into(),
                users: vec![user.clone()],
                created: 1_700_000_000,
            });
        }
    }
    org
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousand_accounts() {
        let org = organisation(1000);
        assert_eq!(org.accounts.len(), 1000);
        assert_eq!(org.connect_instances.len(), 25);
        assert_eq!(org.roles_of(GENERATED_USER, &org.accounts[0].id).len(), 2);
        assert_eq!(org.roles_of(GENERATED_USER, &org.accounts[1].id).len(), 2);
        org.check().expect("a generated organisation is consistent");
    }
}
