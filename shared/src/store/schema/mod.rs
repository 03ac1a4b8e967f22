//! What the table is: its definition and attribute names, and a certification as an item.
pub mod item;
pub mod table;
