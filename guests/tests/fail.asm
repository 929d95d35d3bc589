; fail.asm -- a deliberately failing guest.
; It prints a few lines, records one failed CHECK_EQ and one passing check,
; and then reports FAIL: native exit status 1, guest writes V=1 to port 0xF4
; (ringshift exit status 3).  Registered as guest.fail_is_detected with
; WILL_FAIL, proving that the runner notices a failing guest.
%include "harness.inc"

section .text
test_main:
        PUTSLN 'fail: this test must fail'
        mov eax, 6
        imul eax, eax, 7
        CHECK_EQ 'fail.answer', eax, 42         ; passes
        CHECK_EQ 'fail.deliberate', eax, 43     ; fails on purpose
        ret                                     ; -> test_finish -> FAIL
