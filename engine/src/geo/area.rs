//! The cells a GEO search looks in (Redis's
//! `geohashCalculateAreasByShapeWGS84`): a cell size from the radius, the
//! centre's cell and its 8 neighbours, minus the neighbours the shape's
//! bounding box cannot reach.

use super::{
    decode, deg_rad, distance, encode, lat_distance, neighbour, rad_deg, Area, Hash, EARTH_RADIUS,
    MERCATOR_MAX, WGS84,
};

#[derive(Debug, Clone, Copy)]
pub enum ShapeKind {
    /// BYRADIUS, in the unit's own figures.
    Radius(f64),
    /// BYBOX width and height, in the unit's own figures.
    Box { width: f64, height: f64 },
}

/// A search shape around a centre; sizes are multiplied by `conversion` to
/// get meters.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub conversion: f64,
    pub kind: ShapeKind,
}

impl Shape {
    /// Half the height and half the width in meters.
    fn half_sizes(&self) -> (f64, f64) {
        match self.kind {
            ShapeKind::Radius(r) => (self.conversion * r, self.conversion * r),
            ShapeKind::Box { width, height } => (
                self.conversion * (height / 2.0),
                self.conversion * (width / 2.0),
            ),
        }
    }

    /// The bounding box: min lon, min lat, max lon, max lat.
    fn bounds(&self) -> [f64; 4] {
        let (height, width) = self.half_sizes();
        let lat_delta = rad_deg(height / EARTH_RADIUS);
        let lon_delta_top = rad_deg(width / EARTH_RADIUS / deg_rad(self.lat + lat_delta).cos());
        let lon_delta_bottom = rad_deg(width / EARTH_RADIUS / deg_rad(self.lat - lat_delta).cos());
        // The box is widest on the side nearer the equator.
        let lon_delta = if self.lat < 0.0 {
            lon_delta_bottom
        } else {
            lon_delta_top
        };
        [
            self.lon - lon_delta,
            self.lat - lat_delta,
            self.lon + lon_delta,
            self.lat + lat_delta,
        ]
    }

    /// The radius used to pick the cell size: the radius, or half the
    /// box's diagonal; in meters.
    fn radius_meters(&self) -> f64 {
        let r = match self.kind {
            ShapeKind::Radius(r) => r,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        r * self.conversion
    }

    /// The distance in meters from the centre to `(lon, lat)` if that
    /// point lies inside the shape (`geoWithinShape`).
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.kind {
            ShapeKind::Radius(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= r * self.conversion).then_some(d)
            }
            ShapeKind::Box { width, height } => {
                let (width, height) = (width * self.conversion, height * self.conversion);
                if lat_distance(lat, self.lat) > height / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > width / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }
}

/// Redis's `geohashEstimateStepsByRadius`.
fn estimate_steps(mut range: f64, lat: f64) -> u8 {
    if range == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    // Cells are narrower towards the poles.
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The centre cell and the 8 neighbours of the centre of `shape`, in
/// Redis's search order (centre, N, S, E, W, NE, NW, SE, SW); cells the
/// search needs not visit are zero hashes.
pub fn search_areas(shape: &Shape) -> [Hash; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounds();
    let mut steps = estimate_steps(shape.radius_meters(), shape.lat);
    let cell = |steps| encode(WGS84, shape.lon, shape.lat, steps).unwrap_or_default();
    let area_of = |h: Hash| {
        decode(WGS84, h).unwrap_or(Area {
            longitude: super::Range { min: 0.0, max: 0.0 },
            latitude: super::Range { min: 0.0, max: 0.0 },
        })
    };
    let mut hash = cell(steps);
    // A cell too small to reach the bounding box: one step coarser.
    let north = area_of(neighbour(hash, 0, 1));
    let south = area_of(neighbour(hash, 0, -1));
    let east = area_of(neighbour(hash, 1, 0));
    let west = area_of(neighbour(hash, -1, 0));
    let too_small = north.latitude.max < max_lat
        || south.latitude.min > min_lat
        || east.longitude.max < max_lon
        || west.longitude.min > min_lon;
    if steps > 1 && too_small {
        steps -= 1;
        hash = cell(steps);
    }
    let area = area_of(hash);
    let mut cells = [
        hash,
        neighbour(hash, 0, 1),
        neighbour(hash, 0, -1),
        neighbour(hash, 1, 0),
        neighbour(hash, -1, 0),
        neighbour(hash, 1, 1),
        neighbour(hash, -1, 1),
        neighbour(hash, 1, -1),
        neighbour(hash, -1, -1),
    ];
    if steps >= 2 {
        let zero = |cells: &mut [Hash; 9], which: [usize; 3]| {
            which.iter().for_each(|&i| cells[i] = Hash::default())
        };
        if area.latitude.min < min_lat {
            zero(&mut cells, [2, 8, 7]); // south, south-west, south-east
        }
        if area.latitude.max > max_lat {
            zero(&mut cells, [1, 5, 6]); // north, north-east, north-west
        }
        if area.longitude.min < min_lon {
            zero(&mut cells, [4, 8, 6]); // west, south-west, north-west
        }
        if area.longitude.max > max_lon {
            zero(&mut cells, [3, 7, 5]); // east, south-east, north-east
        }
    }
    cells
}
