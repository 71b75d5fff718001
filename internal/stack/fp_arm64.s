#include "textflag.h"

// func getfp() unsafe.Pointer
//
// The frame pointer of the Go function that calls getfp.
TEXT ·getfp(SB),NOSPLIT|NOFRAME,$0-8
	MOVD R29, R0
	MOVD R0, ret+0(FP)
	RET
