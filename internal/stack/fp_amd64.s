#include "textflag.h"

// func getfp() unsafe.Pointer
//
// The frame pointer of the Go function that calls getfp.
TEXT ·getfp(SB),NOSPLIT|NOFRAME,$0-8
	MOVQ BP, AX
	MOVQ AX, ret+0(FP)
	RET
