const {MongoClient}=require('mongodb');
const fs=require('fs');
const pid=+process.argv[2]; const rounds=+(process.argv[3]||6);
const cpu=()=>{const s=fs.readFileSync(`/proc/${pid}/stat`,'utf8').split(') ')[1].split(' ');return (+s[11] + +s[12])/100;};
const N=1000;
function doc(i,t){return {_id:`gw-${i}`,admission:'accepted',gatewayId:`gw-${i}`,companyId:String(i%3),name:null,address:null,latitude:null,longitude:null,enabled:true,tags:[],createdAt:new Date(t),upgrade:{version:'3.0',status:'confirmed',deploymentId:'6b110094d6641178292cb710',startedAt:new Date(t)},lastUpgradeAt:new Date(t),version:'3.0',statusSentAt:new Date(t),lastSeenAt:new Date(t),protocol:null,updatedAt:new Date(t)};}
(async()=>{
 const c=await MongoClient.connect('mongodb://127.0.0.1:27067');
 const db=c.db('dbw-ab'); await db.dropDatabase();
 const col=db.collection('gateways'); const ev=db.collection('events');
 await col.insertMany(Array.from({length:N},(_, i)=>doc(i,Date.now())));
 await col.createIndex({gatewayId:1},{unique:true});
 const tot={p:0,s:0,e:0};
 let t=Date.now()+1000;
 const ids=Array.from({length:N},(_, i)=>`gw-${i}`);
 for (let r=0;r<rounds;r++) {
   t+=1000;
   let c0=cpu();
   for (let k=0;k<N;k+=100) await col.updateMany({_id:{$in:ids.slice(k,k+100)}},{$set:{upgrade:{version:'4.'+r,status:'pending',deploymentId:'d'+r,startedAt:new Date(t)},updatedAt:new Date()}});
   let c1=cpu();
   for (let k=0;k<N;k+=50) await col.bulkWrite(ids.slice(k,k+50).map((id)=>({updateOne:{filter:{_id:id,$or:[{statusSentAt:{$lte:new Date(t)}},{statusSentAt:null}]},update:{$set:{version:'4.'+r,statusSentAt:new Date(t),lastSeenAt:new Date(t),protocol:null,updatedAt:new Date(),upgrade:{version:'4.'+r,status:'confirmed',deploymentId:'d'+r,startedAt:new Date(t)},lastUpgradeAt:new Date(t)},$setOnInsert:{gatewayId:id,companyId:'1',name:null,address:null,latitude:null,longitude:null,enabled:true,tags:[],createdAt:new Date()}},upsert:true}})),{ordered:false});
   let c2=cpu();
   for (let k=0;k<2*N;k+=100) await ev.insertMany(Array.from({length:100},(_, j)=>({type:'software.deployed',at:new Date(),companyId:'2',actor:{userId:'development',email:'development@localhost'},gatewayId:ids[(k+j)%N],details:{deploymentId:'6b11008ed6641178292ca9e0',version:'1.8'}})));
   let c3=cpu();
   tot.p+=c1-c0; tot.s+=c2-c1; tot.e+=c3-c2;
 }
 for (const k in tot) tot[k]=+(tot[k]/rounds).toFixed(3);
 console.log(JSON.stringify(tot));
 await c.close();
})();
