//! The inventory: what the rack draws. Hosts -> nodes -> guests, owned snapshots built from
//! `/cluster/resources` (or the offline cache), never shared with workers.
