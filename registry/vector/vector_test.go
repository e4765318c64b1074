package vector

import (
	"reflect"
	"testing"
)

func TestMissingAndMerge(t *testing.T) {
	a, b := Key{"dev-a", 1}, Key{"dev-b", 7}
	hub := Vector{a: 10, b: 3}
	dev := Vector{a: 4}
	want := []Range{{a, 5, 10}, {b, 1, 3}}
	if got := hub.Missing(dev); !reflect.DeepEqual(got, want) {
		t.Fatalf("missing: %v, want %v", got, want)
	}
	if got := dev.Missing(hub); len(got) != 0 {
		t.Fatalf("device lacks nothing the hub lacks: %v", got)
	}
	if dev.Dominates(hub) || !hub.Dominates(dev) {
		t.Fatal("dominates")
	}
	dev.Merge(hub)
	if !reflect.DeepEqual(dev, hub) || dev.Total() != 13 {
		t.Fatalf("merge: %v", dev)
	}
	if !dev.Covers(a, 10) || dev.Covers(a, 11) {
		t.Fatal("covers")
	}
	if s := hub.String(); s != "dev-a/1:10 dev-b/7:3" {
		t.Fatalf("string: %q", s)
	}
}
