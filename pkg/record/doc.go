// Package record owns filedge's row model: the column types that formats infer
// and destinations store, the cells readers hand over, the Arrow schemas and
// record batches that travel on the bus, type inference and widening, the
// naming rules that make file and header names safe identifiers, and the
// system columns every loaded row carries.
//
// It knows neither the bus nor any database.
package record
