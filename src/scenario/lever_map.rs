//! One value per lever kind, indexed by [`Lever`] rather than by a raw position, so a plan's
//! spend or an optimization's bounds cannot be read at a slot that is no lever.

use std::ops::{Index, IndexMut};

use serde::Serialize;

use super::types::{LEVER_KINDS, Lever};

/// A value for each lever kind of [`Lever::ALL`]. Every acquisition channel shares the
/// acquisition slot ([`Lever::index`]); a channel's own value lives beside the map (a plan's
/// `channels`, an optimization's channel bounds). Serializes as the array in [`Lever::ALL`]
/// order, as the per-kind arrays it replaces did.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct LeverMap<T>([T; LEVER_KINDS]);

impl<T> LeverMap<T> {
    /// The map holding `value(lever)` for each kind of [`Lever::ALL`].
    pub fn from_fn(mut value: impl FnMut(Lever) -> T) -> Self {
        LeverMap(std::array::from_fn(|i| value(Lever::ALL[i])))
    }

    /// Each kind with its value, in [`Lever::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Lever, &T)> {
        Lever::ALL.into_iter().zip(&self.0)
    }

    /// The values in [`Lever::ALL`] order.
    pub fn values(&self) -> &[T; LEVER_KINDS] {
        &self.0
    }
}

impl<T> Index<Lever> for LeverMap<T> {
    type Output = T;

    /// The value of `lever`'s kind (a channel reads the acquisition slot).
    fn index(&self, lever: Lever) -> &T {
        &self.0[lever.index()]
    }
}

impl<T> IndexMut<Lever> for LeverMap<T> {
    fn index_mut(&mut self, lever: Lever) -> &mut T {
        &mut self.0[lever.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_by_kind_and_channels_share_the_acquisition_slot() {
        let mut map = LeverMap::from_fn(|lever| lever.name().len());
        assert_eq!(map[Lever::Retention], "retention".len());
        map[Lever::Channel(3)] = 99;
        assert_eq!(map[Lever::Acquisition], 99);
        let kinds: Vec<Lever> = map.iter().map(|(lever, _)| lever).collect();
        assert_eq!(kinds, Lever::ALL.to_vec());
    }

    #[test]
    fn serializes_as_the_array_in_kind_order() {
        let map = LeverMap::from_fn(|lever| lever.index() as u8);
        assert_eq!(
            serde_json::to_string(&map).unwrap(),
            serde_json::to_string(&[0u8, 1, 2, 3, 4, 5, 6]).unwrap()
        );
    }

    #[test]
    fn set_bound_refuses_what_the_validator_refuses() {
        use crate::scenario::{Format, Optimize, parse_str};
        let text = include_str!("../../scenarios/channels.toml");
        let scenario = parse_str(text, "channels.toml", "channels", Format::Toml).unwrap();
        let mut optimize = Optimize::of(&scenario);
        optimize
            .set_bound(Lever::Retention, Some((1.0, 2.0)))
            .unwrap();
        assert_eq!(optimize.bound(Lever::Retention), Some((1.0, 2.0)));
        optimize
            .set_bound(Lever::Channel(5), Some((0.0, 3.0)))
            .unwrap();
        assert_eq!(optimize.bound(Lever::Channel(5)), Some((0.0, 3.0)));
        for bad in [
            (2.0, 1.0),
            (-1.0, 1.0),
            (0.0, f64::INFINITY),
            (f64::NAN, 1.0),
        ] {
            let error = optimize.set_bound(Lever::Brand, Some(bad)).unwrap_err();
            assert_eq!(error.lever, Lever::Brand);
            assert_eq!(optimize.bound(Lever::Brand), None, "{bad:?} was stored");
        }
        optimize.set_bound(Lever::Retention, None).unwrap();
        assert_eq!(optimize.bound(Lever::Retention), None);
    }
}
