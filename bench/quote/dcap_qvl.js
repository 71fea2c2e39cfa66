// dcap_qvl.js — runs Phala's pure-JavaScript dcap-qvl (@phala/dcap-qvl from
// npm, installed here by `npm ci`) on the same quote, collateral and time as
// DealProof's C verifier. Nothing is fetched at run time.
//
//   node dcap_qvl.js verify QUOTE COLLATERAL NOW
//       one verification; prints {"status", "advisory_ids", "fields"} or
//       {"error"}; fields are the report body's measurements in hex, named
//       as in DealProof's report JSON (mrtd, rtmr0..3, report_data_hex, …)
//   node dcap_qvl.js bench QUOTE COLLATERAL NOW SECONDS
//       full verifications (collateral JSON parsed, every signature and
//       chain checked) for SECONDS; prints "verifications N seconds S per_second R"
'use strict';
const fs = require('fs');
const { verify } = require('@phala/dcap-qvl');

function readQuote(path) {
    const raw = fs.readFileSync(path);
    const text = raw.toString('latin1').trim();
    if (/^(0x)?[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0)
        return Buffer.from(text.replace(/^0x/, ''), 'hex');
    return raw;
}

const hex = (v) => Buffer.from(v).toString('hex');

//  The report body's fields under DealProof's report JSON names.
function fields(report) {
    const d = report.data;
    if (report.type === 'sgx')
        return { mrenclave: hex(d.mrEnclave), mrsigner: hex(d.mrSigner), attributes: hex(d.attributes),
                 isv_prod_id: d.isvProdId, isv_svn: d.isvSvn, report_data_hex: hex(d.reportData) };
    if (report.type === 'td15')
        return Object.assign(fields({ type: 'td10', data: d.base }),
                             { tee_tcb_svn2: hex(d.teeTcbSvn2), mrservicetd: hex(d.mrServiceTd) });
    return { tee_tcb_svn: hex(d.teeTcbSvn), mrseam: hex(d.mrSeam), td_attributes: hex(d.tdAttributes),
             xfam: hex(d.xfam), mrtd: hex(d.mrTd), mrconfigid: hex(d.mrConfigId), mrowner: hex(d.mrOwner),
             mrownerconfig: hex(d.mrOwnerConfig), rtmr0: hex(d.rtMr0), rtmr1: hex(d.rtMr1),
             rtmr2: hex(d.rtMr2), rtmr3: hex(d.rtMr3), report_data_hex: hex(d.reportData) };
}

function once(quote, collateralText, now) {
    return verify(quote, JSON.parse(collateralText), now);
}

function main() {
    const [mode, quotePath, collateralPath, nowText, secondsText] = process.argv.slice(2);
    if (!mode || !quotePath || !collateralPath || !nowText) {
        console.error('usage: node dcap_qvl.js verify|bench QUOTE COLLATERAL NOW [SECONDS]');
        process.exit(2);
    }
    const quote = readQuote(quotePath);
    const collateralText = fs.readFileSync(collateralPath, 'utf8');
    const now = Number(nowText);
    if (mode === 'verify') {
        try {
            const report = once(quote, collateralText, now);
            console.log(JSON.stringify({ status: report.status, advisory_ids: report.advisory_ids,
                                         fields: fields(report.report) }));
        } catch (e) {
            console.log(JSON.stringify({ error: String(e.message || e) }));
        }
        return;
    }
    const seconds = Number(secondsText || 3);
    once(quote, collateralText, now);          // warm up (and fail early)
    let count = 0;
    const start = process.hrtime.bigint();
    const limit = start + BigInt(Math.round(seconds * 1e9));
    let t = start;
    while (t < limit) {
        for (let i = 0; i < 10; i++)
            once(quote, collateralText, now);
        count += 10;
        t = process.hrtime.bigint();
    }
    const elapsed = Number(t - start) / 1e9;
    console.log(`verifications ${count} seconds ${elapsed.toFixed(3)} per_second ${(count / elapsed).toFixed(1)}`);
}

main();
