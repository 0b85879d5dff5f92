//! Networks that carry machines, not people.
//!
//! Cloudflare tells the edge which autonomous system (`request.cf.asn`) and
//! organisation (`asOrganization`, the name registered for that system) each
//! request came from. Mail security gateways open links from their own
//! networks, and sandboxes and scanners run in the big clouds and hosting
//! providers, where nobody sits reading an invoice. A request from one of
//! these networks is therefore decisive evidence of a machine.
//!
//! Deliberately left out, because people browse from them: consumer ISPs
//! that belong to the same groups (Google Fiber), the CDNs that carry
//! iCloud Private Relay and Cloudflare WARP (Akamai, Cloudflare, Fastly),
//! and corporate web gateways that proxy employees (Zscaler, Netskope).
//! A customer behind a commercial VPN hosted on one of the listed providers
//! is recorded as a machine: the price of never recording a scanner as a
//! person, stated in the merchant's history as "… network".
//!
//! Sources, checked when the list was written (2026-12):
//! - ASNs: the registration of each number in its regional registry (ARIN,
//!   RIPE NCC, APNIC WHOIS, `whois -h whois.radb.net AS<n>`), the same data
//!   from which Cloudflare fills `asOrganization`.
//! - Microsoft: "Microsoft 365 URLs and IP address ranges" (learn.microsoft.com),
//!   where Defender for Office 365 Safe Links and detonation run (AS8075).
//! - Google: "Obtain Google IP address ranges" (support.google.com, goog.json
//!   and cloud.json), AS15169 and AS396982.
//! - Amazon: AWS `ip-ranges.json` (docs.aws.amazon.com, "AWS IP address
//!   ranges"), AS16509 and AS14618.
//! - Proofpoint: "Proofpoint support information" (proofpoint.my.site.com),
//!   the networks URL Defense and its sandbox fetch from.
//! - Mimecast: "Mimecast Data Centers and URLs" (Mimecast community), the
//!   ranges URL Protect scans from.
//! - Barracuda: "Barracuda Email Security Service IP ranges" (campus.barracuda.com).
//! - Cisco Secure Email (IronPort): "IP addresses used by Cisco Secure Email
//!   Cloud Gateway" (cisco.com).
//! - Hosting: each provider's published network list (DigitalOcean, OVHcloud,
//!   Hetzner, Oracle Cloud, Akamai Connected Cloud/Linode, Vultr, Alibaba).

/// What a listed network is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkKind {
    /// A mail security vendor: its gateways open every link of a message.
    MailSecurity,
    /// A public cloud: sandboxes, previewers and scripts run there.
    Cloud,
    /// A hosting provider: servers, not readers.
    Hosting,
}

/// A network whose requests are a machine's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineNetwork {
    /// The name the merchant reads: "Microsoft network".
    pub name: &'static str,
    pub kind: NetworkKind,
    /// The autonomous systems registered to it.
    pub asns: &'static [u32],
    /// Lower-case fragments of the registered organisation's name, for the
    /// systems the list does not number (vendors add networks over time).
    /// Precise enough not to catch a consumer network of the same group.
    pub organisations: &'static [&'static str],
}

/// The list, by the kind of machine each network carries.
pub const MACHINE_NETWORKS: &[MachineNetwork] = &[
    MachineNetwork {
        name: "Microsoft",
        kind: NetworkKind::Cloud,
        asns: &[8075, 8068, 8069, 3598],
        organisations: &["microsoft corporation", "microsoft limited"],
    },
    MachineNetwork {
        name: "Google",
        kind: NetworkKind::Cloud,
        asns: &[15169, 396982, 19527],
        organisations: &["google llc", "google cloud"],
    },
    MachineNetwork {
        name: "Amazon",
        kind: NetworkKind::Cloud,
        asns: &[16509, 14618],
        organisations: &["amazon.com", "amazon technologies", "amazon data services"],
    },
    MachineNetwork {
        name: "Oracle Cloud",
        kind: NetworkKind::Cloud,
        asns: &[31898],
        organisations: &["oracle corporation"],
    },
    MachineNetwork {
        name: "Alibaba Cloud",
        kind: NetworkKind::Cloud,
        asns: &[45102],
        organisations: &["alibaba"],
    },
    MachineNetwork {
        name: "Proofpoint",
        kind: NetworkKind::MailSecurity,
        asns: &[22843, 26211],
        organisations: &["proofpoint"],
    },
    MachineNetwork {
        name: "Mimecast",
        kind: NetworkKind::MailSecurity,
        asns: &[30031, 42427],
        organisations: &["mimecast"],
    },
    MachineNetwork {
        name: "Barracuda",
        kind: NetworkKind::MailSecurity,
        asns: &[15324],
        organisations: &["barracuda"],
    },
    MachineNetwork {
        name: "Cisco Secure Email",
        kind: NetworkKind::MailSecurity,
        asns: &[16417],
        organisations: &["ironport"],
    },
    MachineNetwork {
        name: "Trend Micro",
        kind: NetworkKind::MailSecurity,
        asns: &[],
        organisations: &["trend micro"],
    },
    MachineNetwork {
        name: "Forcepoint",
        kind: NetworkKind::MailSecurity,
        asns: &[],
        organisations: &["forcepoint"],
    },
    MachineNetwork {
        name: "DigitalOcean",
        kind: NetworkKind::Hosting,
        asns: &[14061],
        organisations: &["digitalocean"],
    },
    MachineNetwork {
        name: "OVHcloud",
        kind: NetworkKind::Hosting,
        asns: &[16276],
        organisations: &["ovh sas"],
    },
    MachineNetwork {
        name: "Hetzner",
        kind: NetworkKind::Hosting,
        asns: &[24940],
        organisations: &["hetzner online"],
    },
    MachineNetwork {
        name: "Linode",
        kind: NetworkKind::Hosting,
        asns: &[63949],
        organisations: &["linode"],
    },
    MachineNetwork {
        name: "Vultr",
        kind: NetworkKind::Hosting,
        asns: &[20473],
        organisations: &["vultr", "choopa"],
    },
];

/// The listed network a request came from, by its autonomous system number
/// or, failing that, its organisation's name.
pub fn machine_network(
    asn: Option<u32>,
    organisation: Option<&str>,
) -> Option<&'static MachineNetwork> {
    let by_number = asn.and_then(|asn| {
        MACHINE_NETWORKS
            .iter()
            .find(|network| network.asns.contains(&asn))
    });
    by_number.or_else(|| {
        let organisation = organisation?.trim().to_lowercase();
        if organisation.is_empty() {
            return None;
        }
        MACHINE_NETWORKS.iter().find(|network| {
            network
                .organisations
                .iter()
                .any(|fragment| organisation.contains(fragment))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners_networks_are_known_by_number_and_by_name() {
        let named = |asn, organisation| machine_network(asn, organisation).map(|n| n.name);
        assert_eq!(named(Some(8075), None), Some("Microsoft"));
        assert_eq!(named(Some(26211), Some("")), Some("Proofpoint"));
        assert_eq!(
            named(None, Some("Mimecast Services Limited")),
            Some("Mimecast")
        );
        assert_eq!(
            named(Some(64_512), Some("Barracuda Networks, Inc.")),
            Some("Barracuda")
        );
        assert_eq!(named(Some(16509), Some("Amazon.com, Inc.")), Some("Amazon"));
    }

    #[test]
    fn peoples_networks_are_not_machines() {
        for (asn, organisation) in [
            (3269, "Telecom Italia S.p.A."),
            (3352, "Telefonica de Espana"),
            (16591, "Google Fiber Inc."),
            (13335, "Cloudflare, Inc."),
            (36183, "Akamai Technologies, Inc."),
            (54113, "Fastly, Inc."),
            (62044, "Zscaler, Inc."),
        ] {
            assert_eq!(
                machine_network(Some(asn), Some(organisation)),
                None,
                "{organisation}"
            );
        }
        assert_eq!(machine_network(None, None), None);
    }

    #[test]
    fn every_listed_network_is_named_numbered_or_matched_and_listed_once() {
        let mut numbers = std::collections::HashSet::new();
        for network in MACHINE_NETWORKS {
            assert!(!network.name.is_empty());
            assert!(
                !network.asns.is_empty() || !network.organisations.is_empty(),
                "{} can never match",
                network.name
            );
            for fragment in network.organisations {
                assert_eq!(*fragment, fragment.to_lowercase(), "{fragment}");
                assert!(fragment.len() >= 5, "{fragment} would match too much");
            }
            for asn in network.asns {
                assert!(numbers.insert(*asn), "AS{asn} listed twice");
            }
        }
    }
}
