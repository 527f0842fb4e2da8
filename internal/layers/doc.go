// Package layers holds no code: its test checks that qgraph's packages
// import each other only downwards, in the order of DESIGN.md §2
// (graph ← store ← j1ql/mapper ← integration ← alerts/scheduler ← server/cli),
// and that no package imports the cli or server packages.
package layers
