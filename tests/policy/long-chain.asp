# 251 request rules: the chain is emitted as functions of 100 rules
# (emit_c.c, RULES_PER_FUNCTION); three-valued rules past the bounds.
policy "long"
default allow
uninspectable deny
import "providers"
rule r0 {
  on request
  when request.model == "m0" and http.path != "/x"
  deny
}
rule r1 {
  on request
  when request.model == "m1" and http.path != "/x"
  deny
}
rule r2 {
  on request
  when request.model == "m2" and http.path != "/x"
  deny
}
rule r3 {
  on request
  when request.model == "m3" and http.path != "/x"
  deny
}
rule r4 {
  on request
  when request.model == "m4" and http.path != "/x"
  deny
}
rule r5 {
  on request
  when request.model == "m5" and http.path != "/x"
  deny
}
rule r6 {
  on request
  when request.model == "m6" and http.path != "/x"
  deny
}
rule r7 {
  on request
  when request.model == "m7" and http.path != "/x"
  deny
}
rule r8 {
  on request
  when request.model == "m8" and http.path != "/x"
  deny
}
rule r9 {
  on request
  when request.model == "m9" and http.path != "/x"
  deny
}
rule r10 {
  on request
  when request.model == "m10" and http.path != "/x"
  deny
}
rule r11 {
  on request
  when request.model == "m11" and http.path != "/x"
  deny
}
rule r12 {
  on request
  when request.model == "m12" and http.path != "/x"
  deny
}
rule r13 {
  on request
  when request.model == "m13" and http.path != "/x"
  deny
}
rule r14 {
  on request
  when request.model == "m14" and http.path != "/x"
  deny
}
rule r15 {
  on request
  when request.model == "m15" and http.path != "/x"
  deny
}
rule r16 {
  on request
  when request.model == "m16" and http.path != "/x"
  deny
}
rule r17 {
  on request
  when request.model == "m17" and http.path != "/x"
  deny
}
rule r18 {
  on request
  when request.model == "m18" and http.path != "/x"
  deny
}
rule r19 {
  on request
  when request.model == "m19" and http.path != "/x"
  deny
}
rule r20 {
  on request
  when request.model == "m20" and http.path != "/x"
  deny
}
rule r21 {
  on request
  when request.model == "m21" and http.path != "/x"
  deny
}
rule r22 {
  on request
  when request.model == "m22" and http.path != "/x"
  deny
}
rule r23 {
  on request
  when request.model == "m23" and http.path != "/x"
  deny
}
rule r24 {
  on request
  when request.model == "m24" and http.path != "/x"
  deny
}
rule r25 {
  on request
  when request.model == "m25" and http.path != "/x"
  deny
}
rule r26 {
  on request
  when request.model == "m26" and http.path != "/x"
  deny
}
rule r27 {
  on request
  when request.model == "m27" and http.path != "/x"
  deny
}
rule r28 {
  on request
  when request.model == "m28" and http.path != "/x"
  deny
}
rule r29 {
  on request
  when request.model == "m29" and http.path != "/x"
  deny
}
rule r30 {
  on request
  when request.model == "m30" and http.path != "/x"
  deny
}
rule r31 {
  on request
  when request.model == "m31" and http.path != "/x"
  deny
}
rule r32 {
  on request
  when request.model == "m32" and http.path != "/x"
  deny
}
rule r33 {
  on request
  when request.model == "m33" and http.path != "/x"
  deny
}
rule r34 {
  on request
  when request.model == "m34" and http.path != "/x"
  deny
}
rule r35 {
  on request
  when request.model == "m35" and http.path != "/x"
  deny
}
rule r36 {
  on request
  when request.model == "m36" and http.path != "/x"
  deny
}
rule r37 {
  on request
  when request.model == "m37" and http.path != "/x"
  deny
}
rule r38 {
  on request
  when request.model == "m38" and http.path != "/x"
  deny
}
rule r39 {
  on request
  when request.model == "m39" and http.path != "/x"
  deny
}
rule r40 {
  on request
  when request.model == "m40" and http.path != "/x"
  deny
}
rule r41 {
  on request
  when request.model == "m41" and http.path != "/x"
  deny
}
rule r42 {
  on request
  when request.model == "m42" and http.path != "/x"
  deny
}
rule r43 {
  on request
  when request.model == "m43" and http.path != "/x"
  deny
}
rule r44 {
  on request
  when request.model == "m44" and http.path != "/x"
  deny
}
rule r45 {
  on request
  when request.model == "m45" and http.path != "/x"
  deny
}
rule r46 {
  on request
  when request.model == "m46" and http.path != "/x"
  deny
}
rule r47 {
  on request
  when request.model == "m47" and http.path != "/x"
  deny
}
rule r48 {
  on request
  when request.model == "m48" and http.path != "/x"
  deny
}
rule r49 {
  on request
  when request.model == "m49" and http.path != "/x"
  deny
}
rule r50 {
  on request
  when request.model == "m0" and http.path != "/x"
  deny
}
rule r51 {
  on request
  when request.model == "m1" and http.path != "/x"
  deny
}
rule r52 {
  on request
  when request.model == "m2" and http.path != "/x"
  deny
}
rule r53 {
  on request
  when request.model == "m3" and http.path != "/x"
  deny
}
rule r54 {
  on request
  when request.model == "m4" and http.path != "/x"
  deny
}
rule r55 {
  on request
  when request.model == "m5" and http.path != "/x"
  deny
}
rule r56 {
  on request
  when request.model == "m6" and http.path != "/x"
  deny
}
rule r57 {
  on request
  when request.model == "m7" and http.path != "/x"
  deny
}
rule r58 {
  on request
  when request.model == "m8" and http.path != "/x"
  deny
}
rule r59 {
  on request
  when request.model == "m9" and http.path != "/x"
  deny
}
rule r60 {
  on request
  when request.model == "m10" and http.path != "/x"
  deny
}
rule r61 {
  on request
  when request.model == "m11" and http.path != "/x"
  deny
}
rule r62 {
  on request
  when request.model == "m12" and http.path != "/x"
  deny
}
rule r63 {
  on request
  when request.model == "m13" and http.path != "/x"
  deny
}
rule r64 {
  on request
  when request.model == "m14" and http.path != "/x"
  deny
}
rule r65 {
  on request
  when request.model == "m15" and http.path != "/x"
  deny
}
rule r66 {
  on request
  when request.model == "m16" and http.path != "/x"
  deny
}
rule r67 {
  on request
  when request.model == "m17" and http.path != "/x"
  deny
}
rule r68 {
  on request
  when request.model == "m18" and http.path != "/x"
  deny
}
rule r69 {
  on request
  when request.model == "m19" and http.path != "/x"
  deny
}
rule r70 {
  on request
  when request.model == "m20" and http.path != "/x"
  deny
}
rule r71 {
  on request
  when request.model == "m21" and http.path != "/x"
  deny
}
rule r72 {
  on request
  when request.model == "m22" and http.path != "/x"
  deny
}
rule r73 {
  on request
  when request.model == "m23" and http.path != "/x"
  deny
}
rule r74 {
  on request
  when request.model == "m24" and http.path != "/x"
  deny
}
rule r75 {
  on request
  when request.model == "m25" and http.path != "/x"
  deny
}
rule r76 {
  on request
  when request.model == "m26" and http.path != "/x"
  deny
}
rule r77 {
  on request
  when request.model == "m27" and http.path != "/x"
  deny
}
rule r78 {
  on request
  when request.model == "m28" and http.path != "/x"
  deny
}
rule r79 {
  on request
  when request.model == "m29" and http.path != "/x"
  deny
}
rule r80 {
  on request
  when request.model == "m30" and http.path != "/x"
  deny
}
rule r81 {
  on request
  when request.model == "m31" and http.path != "/x"
  deny
}
rule r82 {
  on request
  when request.model == "m32" and http.path != "/x"
  deny
}
rule r83 {
  on request
  when request.model == "m33" and http.path != "/x"
  deny
}
rule r84 {
  on request
  when request.model == "m34" and http.path != "/x"
  deny
}
rule r85 {
  on request
  when request.model == "m35" and http.path != "/x"
  deny
}
rule r86 {
  on request
  when request.model == "m36" and http.path != "/x"
  deny
}
rule r87 {
  on request
  when request.model == "m37" and http.path != "/x"
  deny
}
rule r88 {
  on request
  when request.model == "m38" and http.path != "/x"
  deny
}
rule r89 {
  on request
  when request.model == "m39" and http.path != "/x"
  deny
}
rule r90 {
  on request
  when request.model == "m40" and http.path != "/x"
  deny
}
rule r91 {
  on request
  when request.model == "m41" and http.path != "/x"
  deny
}
rule r92 {
  on request
  when request.model == "m42" and http.path != "/x"
  deny
}
rule r93 {
  on request
  when request.model == "m43" and http.path != "/x"
  deny
}
rule r94 {
  on request
  when request.model == "m44" and http.path != "/x"
  deny
}
rule r95 {
  on request
  when request.model == "m45" and http.path != "/x"
  deny
}
rule r96 {
  on request
  when request.model == "m46" and http.path != "/x"
  deny
}
rule r97 {
  on request
  when request.model == "m47" and http.path != "/x"
  deny
}
rule r98 {
  on request
  when request.model == "m48" and http.path != "/x"
  deny
}
rule r99 {
  on request
  when request.model == "m49" and http.path != "/x"
  deny
}
rule r100 {
  on request
  when request.model == "m0" and http.path != "/x"
  deny
}
rule r101 {
  on request
  when request.model == "m1" and http.path != "/x"
  deny
}
rule r102 {
  on request
  when request.model == "m2" and http.path != "/x"
  deny
}
rule r103 {
  on request
  when request.model == "m3" and http.path != "/x"
  deny
}
rule r104 {
  on request
  when request.model == "m4" and http.path != "/x"
  deny
}
rule r105 {
  on request
  when request.model == "m5" and http.path != "/x"
  deny
}
rule r106 {
  on request
  when request.model == "m6" and http.path != "/x"
  deny
}
rule r107 {
  on request
  when request.model == "m7" and http.path != "/x"
  deny
}
rule r108 {
  on request
  when request.model == "m8" and http.path != "/x"
  deny
}
rule r109 {
  on request
  when request.model == "m9" and http.path != "/x"
  deny
}
rule r110 {
  on request
  when request.model == "m10" and http.path != "/x"
  deny
}
rule r111 {
  on request
  when request.model == "m11" and http.path != "/x"
  deny
}
rule r112 {
  on request
  when request.model == "m12" and http.path != "/x"
  deny
}
rule r113 {
  on request
  when request.model == "m13" and http.path != "/x"
  deny
}
rule r114 {
  on request
  when request.model == "m14" and http.path != "/x"
  deny
}
rule r115 {
  on request
  when request.model == "m15" and http.path != "/x"
  deny
}
rule r116 {
  on request
  when request.model == "m16" and http.path != "/x"
  deny
}
rule r117 {
  on request
  when request.model == "m17" and http.path != "/x"
  deny
}
rule r118 {
  on request
  when request.model == "m18" and http.path != "/x"
  deny
}
rule r119 {
  on request
  when request.model == "m19" and http.path != "/x"
  deny
}
rule r120 {
  on request
  when request.model == "m20" and http.path != "/x"
  deny
}
rule r121 {
  on request
  when request.model == "m21" and http.path != "/x"
  deny
}
rule r122 {
  on request
  when request.model == "m22" and http.path != "/x"
  deny
}
rule r123 {
  on request
  when request.model == "m23" and http.path != "/x"
  deny
}
rule r124 {
  on request
  when request.model == "m24" and http.path != "/x"
  deny
}
rule r125 {
  on request
  when request.model == "m25" and http.path != "/x"
  deny
}
rule r126 {
  on request
  when request.model == "m26" and http.path != "/x"
  deny
}
rule r127 {
  on request
  when request.model == "m27" and http.path != "/x"
  deny
}
rule r128 {
  on request
  when request.model == "m28" and http.path != "/x"
  deny
}
rule r129 {
  on request
  when request.model == "m29" and http.path != "/x"
  deny
}
rule r130 {
  on request
  when request.model == "m30" and http.path != "/x"
  deny
}
rule r131 {
  on request
  when request.model == "m31" and http.path != "/x"
  deny
}
rule r132 {
  on request
  when request.model == "m32" and http.path != "/x"
  deny
}
rule r133 {
  on request
  when request.model == "m33" and http.path != "/x"
  deny
}
rule r134 {
  on request
  when request.model == "m34" and http.path != "/x"
  deny
}
rule r135 {
  on request
  when request.model == "m35" and http.path != "/x"
  deny
}
rule r136 {
  on request
  when request.model == "m36" and http.path != "/x"
  deny
}
rule r137 {
  on request
  when request.model == "m37" and http.path != "/x"
  deny
}
rule r138 {
  on request
  when request.model == "m38" and http.path != "/x"
  deny
}
rule r139 {
  on request
  when request.model == "m39" and http.path != "/x"
  deny
}
rule r140 {
  on request
  when request.model == "m40" and http.path != "/x"
  deny
}
rule r141 {
  on request
  when request.model == "m41" and http.path != "/x"
  deny
}
rule r142 {
  on request
  when request.model == "m42" and http.path != "/x"
  deny
}
rule r143 {
  on request
  when request.model == "m43" and http.path != "/x"
  deny
}
rule r144 {
  on request
  when request.model == "m44" and http.path != "/x"
  deny
}
rule r145 {
  on request
  when request.model == "m45" and http.path != "/x"
  deny
}
rule r146 {
  on request
  when request.model == "m46" and http.path != "/x"
  deny
}
rule r147 {
  on request
  when request.model == "m47" and http.path != "/x"
  deny
}
rule r148 {
  on request
  when request.model == "m48" and http.path != "/x"
  deny
}
rule r149 {
  on request
  when request.model == "m49" and http.path != "/x"
  deny
}
rule r150 {
  on request
  when request.model == "m0" and http.path != "/x"
  deny
}
rule r151 {
  on request
  when request.model == "m1" and http.path != "/x"
  deny
}
rule r152 {
  on request
  when request.model == "m2" and http.path != "/x"
  deny
}
rule r153 {
  on request
  when request.model == "m3" and http.path != "/x"
  deny
}
rule r154 {
  on request
  when request.model == "m4" and http.path != "/x"
  deny
}
rule r155 {
  on request
  when request.model == "m5" and http.path != "/x"
  deny
}
rule r156 {
  on request
  when request.model == "m6" and http.path != "/x"
  deny
}
rule r157 {
  on request
  when request.model == "m7" and http.path != "/x"
  deny
}
rule r158 {
  on request
  when request.model == "m8" and http.path != "/x"
  deny
}
rule r159 {
  on request
  when request.model == "m9" and http.path != "/x"
  deny
}
rule r160 {
  on request
  when request.model == "m10" and http.path != "/x"
  deny
}
rule r161 {
  on request
  when request.model == "m11" and http.path != "/x"
  deny
}
rule r162 {
  on request
  when request.model == "m12" and http.path != "/x"
  deny
}
rule r163 {
  on request
  when request.model == "m13" and http.path != "/x"
  deny
}
rule r164 {
  on request
  when request.model == "m14" and http.path != "/x"
  deny
}
rule r165 {
  on request
  when request.model == "m15" and http.path != "/x"
  deny
}
rule r166 {
  on request
  when request.model == "m16" and http.path != "/x"
  deny
}
rule r167 {
  on request
  when request.model == "m17" and http.path != "/x"
  deny
}
rule r168 {
  on request
  when request.model == "m18" and http.path != "/x"
  deny
}
rule r169 {
  on request
  when request.model == "m19" and http.path != "/x"
  deny
}
rule r170 {
  on request
  when request.model == "m20" and http.path != "/x"
  deny
}
rule r171 {
  on request
  when request.model == "m21" and http.path != "/x"
  deny
}
rule r172 {
  on request
  when request.model == "m22" and http.path != "/x"
  deny
}
rule r173 {
  on request
  when request.model == "m23" and http.path != "/x"
  deny
}
rule r174 {
  on request
  when request.model == "m24" and http.path != "/x"
  deny
}
rule r175 {
  on request
  when request.model == "m25" and http.path != "/x"
  deny
}
rule r176 {
  on request
  when request.model == "m26" and http.path != "/x"
  deny
}
rule r177 {
  on request
  when request.model == "m27" and http.path != "/x"
  deny
}
rule r178 {
  on request
  when request.model == "m28" and http.path != "/x"
  deny
}
rule r179 {
  on request
  when request.model == "m29" and http.path != "/x"
  deny
}
rule r180 {
  on request
  when request.model == "m30" and http.path != "/x"
  deny
}
rule r181 {
  on request
  when request.model == "m31" and http.path != "/x"
  deny
}
rule r182 {
  on request
  when request.model == "m32" and http.path != "/x"
  deny
}
rule r183 {
  on request
  when request.model == "m33" and http.path != "/x"
  deny
}
rule r184 {
  on request
  when request.model == "m34" and http.path != "/x"
  deny
}
rule r185 {
  on request
  when request.model == "m35" and http.path != "/x"
  deny
}
rule r186 {
  on request
  when request.model == "m36" and http.path != "/x"
  deny
}
rule r187 {
  on request
  when request.model == "m37" and http.path != "/x"
  deny
}
rule r188 {
  on request
  when request.model == "m38" and http.path != "/x"
  deny
}
rule r189 {
  on request
  when request.model == "m39" and http.path != "/x"
  deny
}
rule r190 {
  on request
  when request.model == "m40" and http.path != "/x"
  deny
}
rule r191 {
  on request
  when request.model == "m41" and http.path != "/x"
  deny
}
rule r192 {
  on request
  when request.model == "m42" and http.path != "/x"
  deny
}
rule r193 {
  on request
  when request.model == "m43" and http.path != "/x"
  deny
}
rule r194 {
  on request
  when request.model == "m44" and http.path != "/x"
  deny
}
rule r195 {
  on request
  when request.model == "m45" and http.path != "/x"
  deny
}
rule r196 {
  on request
  when request.model == "m46" and http.path != "/x"
  deny
}
rule r197 {
  on request
  when request.model == "m47" and http.path != "/x"
  deny
}
rule r198 {
  on request
  when request.model == "m48" and http.path != "/x"
  deny
}
rule r199 {
  on request
  when request.model == "m49" and http.path != "/x"
  deny
}
rule r200 {
  on request
  when request.model == "m0" and http.path != "/x"
  deny
}
rule r201 {
  on request
  when request.model == "m1" and http.path != "/x"
  deny
}
rule r202 {
  on request
  when request.model == "m2" and http.path != "/x"
  deny
}
rule r203 {
  on request
  when request.model == "m3" and http.path != "/x"
  deny
}
rule r204 {
  on request
  when request.model == "m4" and http.path != "/x"
  deny
}
rule r205 {
  on request
  when request.model == "m5" and http.path != "/x"
  deny
}
rule r206 {
  on request
  when request.model == "m6" and http.path != "/x"
  deny
}
rule r207 {
  on request
  when request.model == "m7" and http.path != "/x"
  deny
}
rule r208 {
  on request
  when request.model == "m8" and http.path != "/x"
  deny
}
rule r209 {
  on request
  when request.model == "m9" and http.path != "/x"
  deny
}
rule r210 {
  on request
  when request.model == "m10" and http.path != "/x"
  deny
}
rule r211 {
  on request
  when request.model == "m11" and http.path != "/x"
  deny
}
rule r212 {
  on request
  when request.model == "m12" and http.path != "/x"
  deny
}
rule r213 {
  on request
  when request.model == "m13" and http.path != "/x"
  deny
}
rule r214 {
  on request
  when request.model == "m14" and http.path != "/x"
  deny
}
rule r215 {
  on request
  when request.model == "m15" and http.path != "/x"
  deny
}
rule r216 {
  on request
  when request.model == "m16" and http.path != "/x"
  deny
}
rule r217 {
  on request
  when request.model == "m17" and http.path != "/x"
  deny
}
rule r218 {
  on request
  when request.model == "m18" and http.path != "/x"
  deny
}
rule r219 {
  on request
  when request.model == "m19" and http.path != "/x"
  deny
}
rule r220 {
  on request
  when request.model == "m20" and http.path != "/x"
  deny
}
rule r221 {
  on request
  when request.model == "m21" and http.path != "/x"
  deny
}
rule r222 {
  on request
  when request.model == "m22" and http.path != "/x"
  deny
}
rule r223 {
  on request
  when request.model == "m23" and http.path != "/x"
  deny
}
rule r224 {
  on request
  when request.model == "m24" and http.path != "/x"
  deny
}
rule r225 {
  on request
  when request.model == "m25" and http.path != "/x"
  deny
}
rule r226 {
  on request
  when request.model == "m26" and http.path != "/x"
  deny
}
rule r227 {
  on request
  when request.model == "m27" and http.path != "/x"
  deny
}
rule r228 {
  on request
  when request.model == "m28" and http.path != "/x"
  deny
}
rule r229 {
  on request
  when request.model == "m29" and http.path != "/x"
  deny
}
rule r230 {
  on request
  when request.model == "m30" and http.path != "/x"
  deny
}
rule r231 {
  on request
  when request.model == "m31" and http.path != "/x"
  deny
}
rule r232 {
  on request
  when request.model == "m32" and http.path != "/x"
  deny
}
rule r233 {
  on request
  when request.model == "m33" and http.path != "/x"
  deny
}
rule r234 {
  on request
  when request.model == "m34" and http.path != "/x"
  deny
}
rule r235 {
  on request
  when request.model == "m35" and http.path != "/x"
  deny
}
rule r236 {
  on request
  when request.model == "m36" and http.path != "/x"
  deny
}
rule r237 {
  on request
  when request.model == "m37" and http.path != "/x"
  deny
}
rule r238 {
  on request
  when request.model == "m38" and http.path != "/x"
  deny
}
rule r239 {
  on request
  when request.model == "m39" and http.path != "/x"
  deny
}
rule r240 {
  on request
  when request.model == "m40" and http.path != "/x"
  deny
}
rule r241 {
  on request
  when request.model == "m41" and http.path != "/x"
  deny
}
rule r242 {
  on request
  when request.model == "m42" and http.path != "/x"
  deny
}
rule r243 {
  on request
  when request.model == "m43" and http.path != "/x"
  deny
}
rule r244 {
  on request
  when request.model == "m44" and http.path != "/x"
  deny
}
rule r245 {
  on request
  when request.model == "m45" and http.path != "/x"
  deny
}
rule r246 {
  on request
  when request.model == "m46" and http.path != "/x"
  deny
}
rule r247 {
  on request
  when request.model == "m47" and http.path != "/x"
  deny
}
rule r248 {
  on request
  when request.model == "m48" and http.path != "/x"
  deny
}
rule r249 {
  on request
  when request.model == "m49" and http.path != "/x"
  deny
}
rule r250 {
  on request
  when request.model == "late" and http.path != "/x"
  deny
}
