//! AWS regions and partitions: which region names exist, and which partition each belongs to.
//!
//! Promises: a [`Region`] is always a region that exists; a rejected value gets an error that
//! names it, suggests the closest known region and shows what a region looks like.

use std::fmt;

use thiserror::Error;

/// Every region this launcher accepts, with its partition: the 34 commercial regions, GovCloud,
/// China and the European Sovereign Cloud, as IAM Identity Center's endpoint list names them.
const KNOWN: [(&str, Partition); 39] = [
    ("af-south-1", Partition::Aws),
    ("ap-east-1", Partition::Aws),
    ("ap-east-2", Partition::Aws),
    ("ap-northeast-1", Partition::Aws),
    ("ap-northeast-2", Partition::Aws),
    ("ap-northeast-3", Partition::Aws),
    ("ap-south-1", Partition::Aws),
    ("ap-south-2", Partition::Aws),
    ("ap-southeast-1", Partition::Aws),
    ("ap-southeast-2", Partition::Aws),
    ("ap-southeast-3", Partition::Aws),
    ("ap-southeast-4", Partition::Aws),
    ("ap-southeast-5", Partition::Aws),
    ("ap-southeast-6", Partition::Aws),
    ("ap-southeast-7", Partition::Aws),
    ("ca-central-1", Partition::Aws),
    ("ca-west-1", Partition::Aws),
    ("eu-central-1", Partition::Aws),
    ("eu-central-2", Partition::Aws),
    ("eu-north-1", Partition::Aws),
    ("eu-south-1", Partition::Aws),
    ("eu-south-2", Partition::Aws),
    ("eu-west-1", Partition::Aws),
    ("eu-west-2", Partition::Aws),
    ("eu-west-3", Partition::Aws),
    ("il-central-1", Partition::Aws),
    ("me-central-1", Partition::Aws),
    ("me-south-1", Partition::Aws),
    ("mx-central-1", Partition::Aws),
    ("sa-east-1", Partition::Aws),
    ("us-east-1", Partition::Aws),
    ("us-east-2", Partition::Aws),
    ("us-west-1", Partition::Aws),
    ("us-west-2", Partition::Aws),
    ("us-gov-east-1", Partition::AwsUsGov),
    ("us-gov-west-1", Partition::AwsUsGov),
    ("cn-north-1", Partition::AwsCn),
    ("cn-northwest-1", Partition::AwsCn),
    ("eusc-de-east-1", Partition::AwsEusc),
];

/// A suggestion is offered only when the typed value is at most this many edits from a region.
const MAX_SUGGESTION_DISTANCE: usize = 3;

/// What a region looks like, for error messages.
const EXAMPLE: &str = "a region looks like `us-east-1` or `eu-west-2`";

/// An AWS partition: a set of regions sharing a DNS suffix and account namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    /// Commercial regions (`aws`).
    Aws,
    /// AWS GovCloud (US) (`aws-us-gov`).
    AwsUsGov,
    /// China (`aws-cn`).
    AwsCn,
    /// AWS European Sovereign Cloud (`aws-eusc`).
    AwsEusc,
}

impl Partition {
    /// The partition's identifier as used in ARNs.
    pub fn id(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsUsGov => "aws-us-gov",
            Self::AwsCn => "aws-cn",
            Self::AwsEusc => "aws-eusc",
        }
    }

    /// The DNS suffix of the partition's service endpoints (`oidc.{region}.{suffix}`).
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Self::Aws | Self::AwsUsGov => "amazonaws.com",
            Self::AwsCn => "amazonaws.com.cn",
            Self::AwsEusc => "amazonaws.eu",
        }
    }
}

/// A known AWS region name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    name: &'static str,
    partition: Partition,
}

impl Region {
    /// Accepts a known region name, ignoring surrounding spaces and letter case.
    pub fn parse(input: &str) -> Result<Self, RegionError> {
        let wanted = input.trim().to_ascii_lowercase();
        if wanted.is_empty() {
            return Err(RegionError::Empty);
        }
        KNOWN
            .iter()
            .find(|(known, _)| *known == wanted)
            .map(|&(name, partition)| Self { name, partition })
            .ok_or_else(|| RegionError::Unknown {
                suggestion: closest_region(&wanted),
                value: input.trim().to_owned(),
            })
    }

    /// The region name, e.g. `us-east-1`.
    pub fn as_str(&self) -> &'static str {
        self.name
    }

    /// The partition the region belongs to.
    pub fn partition(&self) -> Partition {
        self.partition
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// A region name that is not a known region.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegionError {
    /// Nothing was given.
    #[error("the region is empty; {EXAMPLE}: use the region where IAM Identity Center is enabled")]
    Empty,
    /// An unknown name.
    #[error("`{value}` is not an AWS region{}; {EXAMPLE}", suggestion_text(*.suggestion))]
    Unknown {
        /// What was given.
        value: String,
        /// The closest known region, if one is close.
        suggestion: Option<&'static str>,
    },
}

fn suggestion_text(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// Every known region name, in all partitions.
pub fn known_regions() -> impl Iterator<Item = &'static str> {
    KNOWN.iter().map(|(name, _)| *name)
}

/// The known region closest to `value` by edit distance, if it is close enough to be a typo.
pub fn closest_region(value: &str) -> Option<&'static str> {
    known_regions()
        .map(|known| (edit_distance(value, known), known))
        .min_by_key(|(distance, _)| *distance)
        .filter(|(distance, _)| *distance <= MAX_SUGGESTION_DISTANCE)
        .map(|(_, known)| known)
}

/// Levenshtein distance between two strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_known_regions_in_every_partition() {
        let cases = [
            ("us-east-1", Partition::Aws, "amazonaws.com"),
            (" EU-West-2 ", Partition::Aws, "amazonaws.com"),
            ("us-gov-west-1", Partition::AwsUsGov, "amazonaws.com"),
            ("cn-northwest-1", Partition::AwsCn, "amazonaws.com.cn"),
            ("eusc-de-east-1", Partition::AwsEusc, "amazonaws.eu"),
        ];
        for (input, partition, suffix) in cases {
            let region = Region::parse(input).expect(input);
            assert_eq!(region.as_str(), input.trim().to_ascii_lowercase());
            assert_eq!(region.partition(), partition, "{input}");
            assert_eq!(region.partition().dns_suffix(), suffix, "{input}");
        }
        assert_eq!(Partition::AwsUsGov.id(), "aws-us-gov");
    }

    #[test]
    fn known_regions_are_unique() {
        let mut sorted: Vec<_> = known_regions().collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), KNOWN.len());
        let commercial = KNOWN.iter().filter(|(_, p)| *p == Partition::Aws).count();
        assert_eq!(commercial, 34);
    }

    #[test]
    fn a_typo_names_the_value_suggests_the_closest_region_and_gives_an_example() {
        let err = Region::parse("us-esat-1").expect_err("typo");
        assert_eq!(
            err,
            RegionError::Unknown {
                value: "us-esat-1".into(),
                suggestion: Some("us-east-1")
            }
        );
        assert_eq!(
            err.to_string(),
            "`us-esat-1` is not an AWS region (did you mean `us-east-1`?); \
             a region looks like `us-east-1` or `eu-west-2`"
        );
    }

    #[test]
    fn a_far_off_value_gets_no_suggestion() {
        let err = Region::parse("Northern Virginia").expect_err("not a region");
        assert_eq!(
            err.to_string(),
            "`Northern Virginia` is not an AWS region; a region looks like `us-east-1` or `eu-west-2`"
        );
        assert_eq!(Region::parse("  "), Err(RegionError::Empty));
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("eu-west-1", "eu-west-1"), 0);
        assert_eq!(edit_distance("euwest-1", "eu-west-1"), 1);
        assert_eq!(edit_distance("eu-west-11", "eu-west-1"), 1);
        assert_eq!(edit_distance("eu-wast-2", "eu-west-1"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
