package stats

import (
	"encoding/binary"
	"errors"
)

// The encoding of a sealed row of cells (the hub's aggregate rows, a
// device's days): a version byte; the
// strings the cells use, each written once (count, then length and bytes
// of each); the cells (count, then per cell the indices of its station,
// category, dimension and code and its count, zig-zag). Unsigned numbers
// are varints.
const cellsVersion = 1

// maxCellStrings bounds what DecodeCells accepts, against a damaged row.
const maxCellStrings = 1 << 20

// EncodeCells writes cells (their days left out) compactly.
func EncodeCells(cs []Cell) []byte {
	index := map[string]uint64{}
	var strs []string
	ref := func(s string) uint64 {
		i, ok := index[s]
		if !ok {
			i = uint64(len(strs))
			index[s] = i
			strs = append(strs, s)
		}
		return i
	}
	body := make([]byte, 0, len(cs)*8)
	for _, c := range cs {
		for _, s := range []string{c.Station, c.Category, c.Dim, c.Code} {
			body = binary.AppendUvarint(body, ref(s))
		}
		body = binary.AppendVarint(body, c.N)
	}
	out := []byte{cellsVersion}
	out = binary.AppendUvarint(out, uint64(len(strs)))
	for _, s := range strs {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	out = binary.AppendUvarint(out, uint64(len(cs)))
	return append(out, body...)
}

// DecodeCells reads what EncodeCells writes; anything else is an error.
func DecodeCells(b []byte) ([]Cell, error) {
	if len(b) == 0 || b[0] != cellsVersion {
		return nil, errors.New("unknown encoding of cells")
	}
	b = b[1:]
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	ns, ok := uv()
	if !ok || ns > maxCellStrings || ns > uint64(len(b)) {
		return nil, errors.New("cells: bad string count")
	}
	strs := make([]string, ns)
	for i := range strs {
		l, ok := uv()
		if !ok || l > uint64(len(b)) {
			return nil, errors.New("cells: bad string")
		}
		strs[i] = string(b[:l])
		b = b[l:]
	}
	nc, ok := uv()
	if !ok || nc > uint64(len(b)) { // each cell takes at least five bytes
		return nil, errors.New("cells: bad cell count")
	}
	out := make([]Cell, nc)
	for i := range out {
		var f [4]string
		for j := range f {
			v, ok := uv()
			if !ok || v >= ns {
				return nil, errors.New("cells: bad string reference")
			}
			f[j] = strs[v]
		}
		n, m := binary.Varint(b)
		if m <= 0 {
			return nil, errors.New("cells: bad count")
		}
		b = b[m:]
		out[i] = Cell{Station: f[0], Category: f[1], Dim: f[2], Code: f[3], N: n}
	}
	if len(b) != 0 {
		return nil, errors.New("cells: trailing bytes")
	}
	return out, nil
}
