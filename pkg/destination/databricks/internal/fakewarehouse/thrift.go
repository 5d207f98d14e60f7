package fakewarehouse

import (
	"context"
	"fmt"

	"github.com/apache/thrift/lib/go/thrift"
)

// The Thrift side of the fake: the few TCLIService calls databricks-sql-go
// makes, read and written field by field with the Thrift library's
// binary protocol. The field ids are those of TCLIService.thrift (Hive's,
// with Databricks' extensions from 1281 on); the driver's generated code
// is internal to its module, so the fake speaks the wire format itself.

// value is a Thrift value to write: one of bool, int16, int32, int64,
// float64, string, []byte, strct, list.
type value any

// field is a field of a struct to write.
type field struct {
	id  int16
	typ thrift.TType
	v   value
}

// strct is a struct to write, its fields in order.
type strct []field

// list is a list to write.
type list struct {
	elem  thrift.TType
	items []value
}

// smap is a map of strings to write.
type smap map[string]string

// node is a Thrift value read: bool, int8, int16, int32, int64, float64,
// []byte (a string or binary), fields (a struct), []node (a list or set),
// map[string]node (a map, its keys as text).
type node any

// fields is a struct read, by field id.
type fields map[int16]node

func (f fields) str(id int16) string {
	b, _ := f[id].([]byte)
	return string(b)
}

func (f fields) bytes(id int16) []byte {
	b, _ := f[id].([]byte)
	return b
}

func (f fields) strct(id int16) fields {
	s, _ := f[id].(fields)
	return s
}

func (f fields) i64(id int16) int64 {
	switch v := f[id].(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case int16:
		return int64(v)
	}
	return 0
}

func (f fields) list(id int16) []node {
	l, _ := f[id].([]node)
	return l
}

func write(ctx context.Context, p thrift.TProtocol, typ thrift.TType, v value) error {
	switch typ {
	case thrift.BOOL:
		return p.WriteBool(ctx, v.(bool))
	case thrift.I16:
		return p.WriteI16(ctx, v.(int16))
	case thrift.I32:
		return p.WriteI32(ctx, v.(int32))
	case thrift.I64:
		return p.WriteI64(ctx, v.(int64))
	case thrift.DOUBLE:
		return p.WriteDouble(ctx, v.(float64))
	case thrift.STRING:
		switch s := v.(type) {
		case string:
			return p.WriteString(ctx, s)
		case []byte:
			return p.WriteBinary(ctx, s)
		}
	case thrift.STRUCT:
		return writeStruct(ctx, p, v.(strct))
	case thrift.LIST:
		l := v.(list)
		if err := p.WriteListBegin(ctx, l.elem, len(l.items)); err != nil {
			return err
		}
		for _, item := range l.items {
			if err := write(ctx, p, l.elem, item); err != nil {
				return err
			}
		}
		return p.WriteListEnd(ctx)
	case thrift.MAP:
		m := v.(smap)
		if err := p.WriteMapBegin(ctx, thrift.STRING, thrift.STRING, len(m)); err != nil {
			return err
		}
		for k, s := range m {
			if err := p.WriteString(ctx, k); err != nil {
				return err
			}
			if err := p.WriteString(ctx, s); err != nil {
				return err
			}
		}
		return p.WriteMapEnd(ctx)
	}
	return fmt.Errorf("fakewarehouse: cannot write %T as Thrift type %v", v, typ)
}

func writeStruct(ctx context.Context, p thrift.TProtocol, s strct) error {
	if err := p.WriteStructBegin(ctx, "s"); err != nil {
		return err
	}
	for _, f := range s {
		if err := p.WriteFieldBegin(ctx, "f", f.typ, f.id); err != nil {
			return err
		}
		if err := write(ctx, p, f.typ, f.v); err != nil {
			return err
		}
		if err := p.WriteFieldEnd(ctx); err != nil {
			return err
		}
	}
	if err := p.WriteFieldStop(ctx); err != nil {
		return err
	}
	return p.WriteStructEnd(ctx)
}

func read(ctx context.Context, p thrift.TProtocol, typ thrift.TType) (node, error) {
	switch typ {
	case thrift.BOOL:
		return p.ReadBool(ctx)
	case thrift.BYTE:
		return p.ReadByte(ctx)
	case thrift.I16:
		return p.ReadI16(ctx)
	case thrift.I32:
		return p.ReadI32(ctx)
	case thrift.I64:
		return p.ReadI64(ctx)
	case thrift.DOUBLE:
		return p.ReadDouble(ctx)
	case thrift.STRING:
		return p.ReadBinary(ctx)
	case thrift.STRUCT:
		return readStruct(ctx, p)
	case thrift.LIST, thrift.SET:
		var (
			elem thrift.TType
			n    int
			err  error
		)
		if typ == thrift.LIST {
			elem, n, err = p.ReadListBegin(ctx)
		} else {
			elem, n, err = p.ReadSetBegin(ctx)
		}
		if err != nil {
			return nil, err
		}
		out := make([]node, 0, n)
		for range n {
			v, err := read(ctx, p, elem)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if typ == thrift.LIST {
			return out, p.ReadListEnd(ctx)
		}
		return out, p.ReadSetEnd(ctx)
	case thrift.MAP:
		kt, vt, n, err := p.ReadMapBegin(ctx)
		if err != nil {
			return nil, err
		}
		out := make(map[string]node, n)
		for range n {
			k, err := read(ctx, p, kt)
			if err != nil {
				return nil, err
			}
			v, err := read(ctx, p, vt)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = v
		}
		return out, p.ReadMapEnd(ctx)
	}
	return nil, fmt.Errorf("fakewarehouse: cannot read Thrift type %v", typ)
}

func readStruct(ctx context.Context, p thrift.TProtocol) (fields, error) {
	if _, err := p.ReadStructBegin(ctx); err != nil {
		return nil, err
	}
	out := fields{}
	for {
		_, typ, id, err := p.ReadFieldBegin(ctx)
		if err != nil {
			return nil, err
		}
		if typ == thrift.STOP {
			break
		}
		v, err := read(ctx, p, typ)
		if err != nil {
			return nil, err
		}
		out[id] = v
		if err := p.ReadFieldEnd(ctx); err != nil {
			return nil, err
		}
	}
	return out, p.ReadStructEnd(ctx)
}

// processor is a thrift.TProcessor that answers each call with the
// response struct its handler returns.
type processor struct {
	handle func(ctx context.Context, method string, req fields) (strct, error)
}

func (p processor) Process(ctx context.Context, in, out thrift.TProtocol) (bool, thrift.TException) {
	name, _, seq, err := in.ReadMessageBegin(ctx)
	if err != nil {
		return false, thrift.WrapTException(err)
	}
	args, err := readStruct(ctx, in)
	if err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := in.ReadMessageEnd(ctx); err != nil {
		return false, thrift.WrapTException(err)
	}
	resp, err := p.handle(ctx, name, args.strct(1))
	if err != nil {
		x := thrift.NewTApplicationException(thrift.UNKNOWN_METHOD, err.Error())
		if werr := out.WriteMessageBegin(ctx, name, thrift.EXCEPTION, seq); werr != nil {
			return false, thrift.WrapTException(werr)
		}
		if werr := x.Write(ctx, out); werr != nil {
			return false, thrift.WrapTException(werr)
		}
		_ = out.WriteMessageEnd(ctx)
		_ = out.Flush(ctx)
		return true, nil
	}
	if err := out.WriteMessageBegin(ctx, name, thrift.REPLY, seq); err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := writeStruct(ctx, out, strct{{0, thrift.STRUCT, resp}}); err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := out.WriteMessageEnd(ctx); err != nil {
		return false, thrift.WrapTException(err)
	}
	if err := out.Flush(ctx); err != nil {
		return false, thrift.WrapTException(err)
	}
	return true, nil
}

func (processor) ProcessorMap() map[string]thrift.TProcessorFunction { return nil }

func (processor) AddToProcessorMap(string, thrift.TProcessorFunction) {}
