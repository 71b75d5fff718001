package reporting

import "testing"

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n     int
		thing string
		want  string
	}{{1, "class", "1 class"}, {2, "class", "2 classes"}, {0, "dependency", "0 dependencies"}, {1, "finding", "1 finding"}, {3, "package", "3 packages"}} {
		if got := Count(tc.n, tc.thing); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.thing, got, tc.want)
		}
	}
}
