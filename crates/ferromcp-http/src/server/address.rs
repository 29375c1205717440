//! [`AddressKey`]: a client's address as the per-address caps count it, for sessions and
//! for connections alike.

use std::net::{IpAddr, Ipv4Addr};

/// The address a per-address cap counts: an IPv4 address (also when mapped into IPv6), or
/// the /64 prefix of an IPv6 address, which is what one subscriber is usually given (one
/// host can pick any address in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AddressKey {
    V4(Ipv4Addr),
    V6(u64),
}

impl AddressKey {
    pub(crate) fn of(ip: IpAddr) -> AddressKey {
        match ip {
            IpAddr::V4(v4) => AddressKey::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => AddressKey::V4(v4),
                None => AddressKey::V6((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use super::*;

    #[test]
    fn addresses_count_by_ipv4_address_or_ipv6_slash_64() {
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(
            AddressKey::of(v4),
            AddressKey::V4(Ipv4Addr::new(192, 0, 2, 7))
        );
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(AddressKey::of(mapped), AddressKey::of(v4));
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(AddressKey::of(a), AddressKey::of(b));
        assert_ne!(AddressKey::of(a), AddressKey::of(c));
        assert_ne!(
            AddressKey::of(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            AddressKey::of(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
    }
}
