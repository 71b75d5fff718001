package svg

import (
	"sort"

	"github.com/golockdep/lockdep/internal/graphfile"
)

// sweeps is how many times the ordering sweeps the columns (left to right
// or right to left, in turn).
const sweeps = 12

// maxWaypoints bounds the waypoints of the dependencies that span
// columns: beyond it, the longest dependencies are drawn straight, over
// the columns between their ends, rather than the layout taking
// quadratic time on a graph of one long chain with many shortcuts.
const maxWaypoints = 20000

// A vertex is a class, or a waypoint of a dependency that spans columns.
type vertex struct {
	node    *graphfile.DrawNode // nil for a waypoint
	cluster int                 // the lane
	layer   int                 // the column
	order   int                 // the position in its column
	lines   []string            // the label, wrapped
	w, h    float64             // the box (a waypoint has no width)
	above   float64             // room above the box, for a loop
	x, y    float64             // the centre
}

// An edge is a dependency as drawn.
type edge struct {
	graphfile.DrawEdge
	loop           bool
	points         []point // from the class held to the class acquired
	bend           float64 // moves the curve off the straight line between its points
	labelX, labelY float64
}

type point struct{ x, y float64 }

// A cluster is a package's lane.
type cluster struct {
	label, tooltip string
	rank           int  // the lane's place, from the top
	drawn          bool // it has a box
	x, y, w, h     float64
}

// picture is a laid-out drawing.
type picture struct {
	vertices []*vertex
	edges    []*edge
	clusters []*cluster
	width    float64
	height   float64
	legendY  float64 // where the legend starts
}

// pair is two indices: the vertices at the ends of a dependency (an arc
// once cycles are broken, from a lower column to a higher one), two
// lanes, or the positions of a segment's ends in adjacent columns.
type pair struct{ from, to int }

// layout places d's classes and routes its dependencies.
func layout(d *graphfile.Drawing) *picture {
	l := &picture{}
	index := map[string]int{}
	for ci := range d.Clusters {
		c := &d.Clusters[ci]
		l.clusters = append(l.clusters, &cluster{label: c.Label, tooltip: c.Tooltip, drawn: c.Label != "" && len(c.Nodes) > 0})
		for ni := range c.Nodes {
			n := &c.Nodes[ni]
			if _, dup := index[n.Name]; dup {
				continue
			}
			index[n.Name] = len(l.vertices)
			l.vertices = append(l.vertices, &vertex{node: n, cluster: ci, lines: wrap(n.Label)})
		}
	}
	nodes := len(l.vertices)
	// The dependencies between distinct classes, once each, in order.
	var deps []pair
	seen := map[pair]bool{}
	for i := range d.Edges {
		e := &edge{DrawEdge: d.Edges[i]}
		from, ok1 := index[e.From]
		to, ok2 := index[e.To]
		if !ok1 || !ok2 {
			continue // a dependency of a class the drawing lacks
		}
		l.edges = append(l.edges, e)
		if from == to {
			e.loop = true
			l.vertices[from].above = loopHeight + edgeFont
			continue
		}
		if p := (pair{from, to}); !seen[p] {
			seen[p] = true
			deps = append(deps, p)
		}
	}
	reversed := breakCycles(nodes, deps)
	dag := map[pair]bool{}
	var arcs []pair
	for _, p := range deps {
		if reversed[p] {
			p = pair{p.to, p.from}
		}
		if !dag[p] {
			dag[p] = true
			arcs = append(arcs, p)
		}
	}
	assignLayers(l.vertices[:nodes], arcs)
	chains := l.addWaypoints(arcs)
	layers := l.order(chains)
	l.place(layers, d.Legend)
	l.route(index, chains, reversed)
	return l
}

// breakCycles returns the dependencies to reverse so that the rest form
// no cycle: those that a depth-first search finds going back to a class
// on its path.
func breakCycles(n int, deps []pair) map[pair]bool {
	out := make([][]int, n)
	for _, p := range deps {
		out[p.from] = append(out[p.from], p.to)
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, n)
	reversed := map[pair]bool{}
	type frame struct{ v, next int }
	for root := 0; root < n; root++ {
		if state[root] != unseen {
			continue
		}
		stack := []frame{{root, 0}}
		state[root] = onPath
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next == len(out[f.v]) {
				state[f.v] = done
				stack = stack[:len(stack)-1]
				continue
			}
			w := out[f.v][f.next]
			f.next++
			switch state[w] {
			case onPath:
				reversed[pair{f.v, w}] = true
			case unseen:
				state[w] = onPath
				stack = append(stack, frame{w, 0})
			}
		}
	}
	return reversed
}

// assignLayers gives each class its column: the length of the longest
// path to it from a class with no predecessor; then a class with no
// predecessor moves right, next to the nearest class it precedes.
func assignLayers(vs []*vertex, arcs []pair) {
	n := len(vs)
	in := make([]int, n)
	out := make([][]int, n)
	for _, p := range arcs {
		out[p.from] = append(out[p.from], p.to)
		in[p.to]++
	}
	var topo []int
	indeg := append([]int(nil), in...)
	for v := 0; v < n; v++ {
		if indeg[v] == 0 {
			topo = append(topo, v)
		}
	}
	for i := 0; i < len(topo); i++ {
		v := topo[i]
		for _, w := range out[v] {
			if vs[v].layer+1 > vs[w].layer {
				vs[w].layer = vs[v].layer + 1
			}
			if indeg[w]--; indeg[w] == 0 {
				topo = append(topo, w)
			}
		}
	}
	for i := len(topo) - 1; i >= 0; i-- {
		v := topo[i]
		if in[v] > 0 || len(out[v]) == 0 {
			continue
		}
		next := -1
		for _, w := range out[v] {
			if next < 0 || vs[w].layer < next {
				next = vs[w].layer
			}
		}
		vs[v].layer = next - 1
	}
}

// addWaypoints gives each arc that spans columns a waypoint in each
// column between its ends, in the lane of the class it starts from, and
// returns each arc's vertices from its start to its end.
func (l *picture) addWaypoints(arcs []pair) map[pair][]int {
	chains := make(map[pair][]int, len(arcs))
	budget := maxWaypoints
	// Short arcs first, so that the budget goes to them.
	sorted := append([]pair(nil), arcs...)
	span := func(p pair) int { return l.vertices[p.to].layer - l.vertices[p.from].layer }
	sort.SliceStable(sorted, func(i, j int) bool { return span(sorted[i]) < span(sorted[j]) })
	for _, p := range sorted {
		chain := []int{p.from}
		if s := span(p); s > 1 && s-1 <= budget {
			budget -= s - 1
			from := l.vertices[p.from]
			for layer := from.layer + 1; layer < l.vertices[p.to].layer; layer++ {
				chain = append(chain, len(l.vertices))
				l.vertices = append(l.vertices, &vertex{cluster: from.cluster, layer: layer, h: waypointH})
			}
		}
		chains[p] = append(chain, p.to)
	}
	return chains
}

// order orders the vertices of each column, lane by lane, to reduce
// crossings, and returns the columns.
func (l *picture) order(chains map[pair][]int) [][]int {
	nl := 0
	for _, v := range l.vertices {
		if v.layer+1 > nl {
			nl = v.layer + 1
		}
	}
	// The neighbours of each vertex in the columns on either side.
	left := make([][]int, len(l.vertices))
	right := make([][]int, len(l.vertices))
	for _, c := range chains {
		for i := 1; i < len(c); i++ {
			a, b := c[i-1], c[i]
			if l.vertices[b].layer == l.vertices[a].layer+1 {
				right[a] = append(right[a], b)
				left[b] = append(left[b], a)
			}
		}
	}
	l.rankClusters(chains)
	layers := make([][]int, nl)
	for i, v := range l.vertices {
		layers[v.layer] = append(layers[v.layer], i)
	}
	bary := make([]float64, len(l.vertices))
	sortLayer := func(layer []int) {
		sort.SliceStable(layer, func(i, j int) bool {
			a, b := l.vertices[layer[i]], l.vertices[layer[j]]
			if ra, rb := l.clusters[a.cluster].rank, l.clusters[b.cluster].rank; ra != rb {
				return ra < rb
			}
			return bary[layer[i]] < bary[layer[j]]
		})
		for i, v := range layer {
			l.vertices[v].order = i
		}
	}
	for i, layer := range layers {
		for _, v := range layer {
			bary[v] = float64(v)
		}
		sortLayer(layers[i])
	}
	best := copyLayers(layers)
	bestCross := l.crossings(layers, right)
	for s := 0; s < sweeps && bestCross > 0; s++ {
		from, to, step, adj := 1, nl, 1, left
		if s%2 == 1 {
			from, to, step, adj = nl-2, -1, -1, right
		}
		for i := from; i != to; i += step {
			for _, v := range layers[i] {
				if len(adj[v]) == 0 {
					bary[v] = float64(l.vertices[v].order)
					continue
				}
				sum := 0.0
				for _, u := range adj[v] {
					sum += float64(l.vertices[u].order)
				}
				bary[v] = sum / float64(len(adj[v]))
			}
			sortLayer(layers[i])
		}
		if c := l.crossings(layers, right); c < bestCross {
			best, bestCross = copyLayers(layers), c
		}
	}
	for _, layer := range best {
		for i, v := range layer {
			l.vertices[v].order = i
		}
	}
	return best
}

func copyLayers(layers [][]int) [][]int {
	c := make([][]int, len(layers))
	for i, layer := range layers {
		c[i] = append([]int(nil), layer...)
	}
	return c
}

// crossings counts the crossings between adjacent columns: pairs of
// segments whose ends are in opposite orders.
func (l *picture) crossings(layers [][]int, right [][]int) int {
	total := 0
	for i := 0; i+1 < len(layers); i++ {
		var segs []pair
		for _, a := range layers[i] {
			for _, b := range right[a] {
				segs = append(segs, pair{l.vertices[a].order, l.vertices[b].order})
			}
		}
		sort.Slice(segs, func(x, y int) bool {
			if segs[x].from != segs[y].from {
				return segs[x].from < segs[y].from
			}
			return segs[x].to < segs[y].to
		})
		// Count, for each segment, the earlier ones that end below it,
		// with a Fenwick tree over the positions of the right column.
		tree := make([]int, len(layers[i+1])+1)
		for k, s := range segs {
			le := 0 // earlier segments ending at or above s.to
			for j := s.to + 1; j > 0; j -= j & -j {
				le += tree[j]
			}
			total += k - le
			for j := s.to + 1; j < len(tree); j += j & -j {
				tree[j]++
			}
		}
	}
	return total
}

// rankClusters orders the lanes: by package, then each moved towards the
// lanes it has dependencies with, a few times over.
func (l *picture) rankClusters(chains map[pair][]int) {
	n := len(l.clusters)
	weight := map[pair]int{}
	for p := range chains {
		a, b := l.vertices[p.from].cluster, l.vertices[p.to].cluster
		if a != b {
			weight[pair{a, b}]++
			weight[pair{b, a}]++
		}
	}
	rank := make([]float64, n)
	for i := range rank {
		rank[i] = float64(i)
	}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	for it := 0; it < 4; it++ {
		next := make([]float64, n)
		for c := 0; c < n; c++ {
			sum, total := rank[c], 1.0
			for p, w := range weight {
				if p.from == c {
					sum += float64(w) * rank[p.to]
					total += float64(w)
				}
			}
			next[c] = sum / total
		}
		sort.SliceStable(ids, func(i, j int) bool { return next[ids[i]] < next[ids[j]] })
		for r, c := range ids {
			rank[c] = float64(r)
		}
	}
	for c := range l.clusters {
		l.clusters[c].rank = int(rank[c])
	}
}

// place sizes the boxes and gives every vertex its centre, every lane its
// box, and the picture its size.
func (l *picture) place(layers [][]int, legend []string) {
	longest := 0.0
	for _, line := range legend {
		if n := float64(len([]rune(line))); n > longest {
			longest = n
		}
	}
	for _, v := range l.vertices {
		if v.node == nil {
			continue
		}
		wide := 0.0
		for _, line := range v.lines {
			if w := textWidth(line, nodeFont); w > wide {
				wide = w
			}
		}
		v.w = wide + 2*nodePadX
		v.h = float64(len(v.lines))*nodeFont*lineHeight + 2*nodePadY
	}
	// Columns, left to right.
	colX := make([]float64, len(layers))
	colW := make([]float64, len(layers))
	x := margin
	for i, layer := range layers {
		w := 16.0
		for _, v := range layer {
			if l.vertices[v].w > w {
				w = l.vertices[v].w
			}
		}
		colX[i], colW[i] = x, w
		x += w + columnGap
		for _, v := range layer {
			if l.vertices[v].node == nil {
				l.vertices[v].w = w // a waypoint crosses its column
			}
		}
	}
	right := x - columnGap + margin
	// Lanes, top to bottom: each as high as its fullest column.
	lanes := make([]int, len(l.clusters))
	for c := range l.clusters {
		lanes[l.clusters[c].rank] = c
	}
	stack := func(c int, layer []int) (h float64, vs []*vertex) {
		for _, i := range layer {
			v := l.vertices[i]
			if v.cluster != c {
				continue
			}
			if len(vs) > 0 {
				h += rowGap
			}
			h += v.above + v.h
			vs = append(vs, v)
		}
		return h, vs
	}
	y := margin
	for _, c := range lanes {
		cl := l.clusters[c]
		inner := 0.0
		for _, layer := range layers {
			if h, _ := stack(c, layer); h > inner {
				inner = h
			}
		}
		if inner == 0 {
			continue
		}
		top := y
		if cl.drawn {
			top += lanePad + clusterFont*lineHeight + lanePad/2
		}
		for i, layer := range layers {
			h, vs := stack(c, layer)
			at := top + (inner-h)/2
			for _, v := range vs {
				at += v.above
				v.x, v.y = colX[i]+colW[i]/2, at+v.h/2
				at += v.h + rowGap
			}
		}
		bottom := top + inner
		if cl.drawn {
			// The box: around the lane's classes, and wide enough for its
			// label.
			minX, maxX := -1.0, 0.0
			for _, v := range l.vertices {
				if v.cluster == c && v.node != nil {
					if minX < 0 || v.x-v.w/2 < minX {
						minX = v.x - v.w/2
					}
					if v.x+v.w/2 > maxX {
						maxX = v.x + v.w/2
					}
				}
			}
			cl.x, cl.y = minX-lanePad, y
			cl.w = maxX - minX + 2*lanePad
			if lw := textWidth(cl.label, clusterFont) + 2*lanePad; lw > cl.w {
				cl.w = lw
			}
			bottom += lanePad
			cl.h = bottom - y
			if r := cl.x + cl.w + margin; r > right {
				right = r
			}
		}
		y = bottom + laneGap
	}
	l.legendY = y - laneGap + margin/2
	l.width = right
	l.height = l.legendY + float64(len(legend))*legendFont*lineHeight + margin
	if w := longest*charWidth(legendFont) + 2*margin; w > l.width {
		l.width = w
	}
}

// route gives each dependency its points: from the side of the class held
// that faces the class acquired, through its waypoints, straight across
// the columns they are in, to the facing side of the class acquired.
func (l *picture) route(index map[string]int, chains map[pair][]int, reversed map[pair]bool) {
	parallel := map[pair]int{} // dependencies drawn between two classes so far
	for _, e := range l.edges {
		from, to := index[e.From], index[e.To]
		a, b := l.vertices[from], l.vertices[to]
		if e.loop {
			top := a.y - a.h/2
			e.points = []point{{a.x - 12, top}, {a.x + 12, top}}
			e.labelX, e.labelY = a.x, top-loopHeight+2
			continue
		}
		var chain []int
		if c, ok := chains[pair{from, to}]; ok && !reversed[pair{from, to}] {
			chain = c
		} else {
			c := chains[pair{to, from}]
			chain = make([]int, len(c))
			for i, v := range c {
				chain[len(c)-1-i] = v
			}
		}
		forward := a.layer < b.layer
		// Dependencies between the same two classes (both ways, or in
		// both modes) bend apart; a reversed one below the line.
		key := pair{from, to}
		if from > to {
			key = pair{to, from}
		}
		k := parallel[key]
		parallel[key]++
		// A reversed dependency (from a cycle) leaves and enters the
		// boxes lower, so that it runs beside the other way's.
		port := 0.0
		if !forward {
			port = 7
		}
		e.bend = 10 * float64(k)
		if forward {
			e.bend = -e.bend
		}
		side := func(v *vertex, out bool) point {
			y := v.y + port
			if out == forward {
				return point{v.x + v.w/2, y}
			}
			return point{v.x - v.w/2, y}
		}
		e.points = []point{side(a, true)}
		for _, w := range chain[1 : len(chain)-1] {
			v := l.vertices[w]
			in, out := v.x-v.w/2, v.x+v.w/2
			if !forward {
				in, out = out, in
			}
			e.points = append(e.points, point{in, v.y + e.bend}, point{out, v.y + e.bend})
		}
		e.points = append(e.points, side(b, false))
		// The label, at the middle of the first curve: above it, or for
		// a reversed dependency below, so that the labels of the two ways
		// between two classes stay apart.
		p, q := e.points[0], e.points[1]
		bend := 0.0
		if len(e.points) == 2 {
			bend = e.bend
		}
		e.labelX, e.labelY = (p.x+q.x)/2, (p.y+q.y)/2+0.75*bend-4
		if !forward {
			e.labelY += edgeFont + 4
		}
	}
}
