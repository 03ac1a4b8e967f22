//! What the table is: its definition and attribute names, a certification as an item, and
//! the indexes an older table lacks.
pub mod item;
pub mod table;
pub mod upgrade;
