<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ApprovalPolicyPage</name>
    <message>
        <location filename="../../ui/pages/policy_page.py" line="+66"/>
        <source>Every quote is checked against these rules, in this order, when it is submitted; each rule that applies asks for one more approval.</source>
        <translation>每张报价提交时都按顺序对照这些规则检查；每条适用的规则都要求多一份审批。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>#</source>
        <translation>序号</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Looks at</source>
        <translation>审批依据</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Approved by</source>
        <translation>审批人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Above</source>
        <translation>阈值</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>What it means</source>
        <translation>说明</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Unsaved changes: Save puts them in force for quotes submitted from now on; Revert discards them.</source>
        <translation>有未保存的修改：“保存”后对此后提交的报价生效；“撤销修改”则放弃。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Add rule…</source>
        <translation>添加规则…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Move up</source>
        <translation>上移</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Move down</source>
        <translation>下移</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Restore defaults</source>
        <translation>恢复默认</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Load the built-in rules into the editor; Save puts them in force.</source>
        <translation>把内置规则载入编辑区；“保存”后生效。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Revert</source>
        <translation>撤销修改</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <location line="+86"/>
        <source>The built-in rules are loaded; Save puts them in force.</source>
        <translation>已载入内置规则；“保存”后生效。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The rules in force are the built-in ones already.</source>
        <translation>当前生效的已经是内置规则。</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>The policy was changed elsewhere (now version %1); your unsaved edits are kept. Revert shows the policy in force.</source>
        <translation>审批规则已在别处被修改（现为第 %1 版）；您未保存的修改仍保留。“撤销修改”可查看当前生效的规则。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Version %1, last changed by %2 on %3.</source>
        <translation>第 %1 版，最后由 %2 于 %3 修改。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The built-in rules: no one has changed the policy yet.</source>
        <translation>内置规则：尚无人修改过审批规则。</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>Not saved yet</source>
        <translation>尚未保存</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Saved. Quotes submitted from now on are checked against these rules.</source>
        <translation>已保存。此后提交的报价按这些规则审批。</translation>
    </message>
</context>
<context>
    <name>ApprovalsPage</name>
    <message>
        <location filename="../../ui/pages/approvals_page.py" line="+259"/>
        <source>No quotes are waiting for your approval.

Quotes appear here when reps submit them; you will see which approval rules fired and why.</source>
        <translation>目前没有待您审批的报价单。

销售代表提交报价后会出现在这里，并显示触发了哪些审批规则及原因。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Comment (required to reject)</source>
        <translation>审批意见（驳回时必填）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Approve</source>
        <translation>批准</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reject</source>
        <translation>驳回</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Open quote…</source>
        <translation>查看报价单…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The quote&apos;s lines, terms and PDF (double-click a row does the same)</source>
        <translation>报价单的明细、条款和 PDF（双击列表中的一行也可打开）</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Why it needs approval:</source>
        <translation>需要审批的原因：</translation>
    </message>
    <message>
        <location line="+78"/>
        <source>Decide with the drift measured against this rate?</source>
        <translation>仍按此汇率计算汇率偏离并审批吗？</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>%1 — %2 rev. %3, %4 %5 (by %6)</source>
        <translation>%1 — %2 第 %3 版，%4 %5（%6）</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>(required since submission, at today&apos;s rate)</source>
        <translation>（提交后按今日汇率新增的要求）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>(required at an earlier decision on this submission; it stays required)</source>
        <translation>（本轮审批中先前已触发的要求，本轮内继续有效）</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Locked USD/CNY rate %1 of %2; no rate for today is cached here.</source>
        <translation>锁定的美元兑人民币汇率为 %1（%2）；本机没有今日汇率。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>USD/CNY locked at %1 (%2); latest cached rate %3 (%4): drift %5%.</source>
        <translation>美元兑人民币锁定汇率 %1（%2）；本机最新汇率 %3（%4）：偏离 %5%。</translation>
    </message>
</context>
<context>
    <name>ContactDialog</name>
    <message>
        <location filename="../../ui/dialogs/contact_dialog.py" line="+56"/>
        <source>New contact</source>
        <translation>新建联系人</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Edit contact</source>
        <translation>编辑联系人</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Choose a role</source>
        <translation>请选择角色</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Title</source>
        <translation>职务</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Decision role</source>
        <translation>决策角色</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>WeChat</source>
        <translation>微信</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Email</source>
        <translation>邮箱</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+32"/>
        <source>Remove contact</source>
        <translation>删除联系人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove %1 from this customer&apos;s contacts? Touchpoints that mention them are kept.</source>
        <translation>要从该客户的联系人中删除 %1 吗？提到此人的触点记录会保留。</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>On the server: %1</source>
        <translation>服务器上的值：%1</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>(empty)</source>
        <translation>（空）</translation>
    </message>
</context>
<context>
    <name>CustomerDetail</name>
    <message>
        <location filename="../../ui/customer_detail.py" line="+105"/>
        <location line="+159"/>
        <source>Select a customer to see its profile, contacts and touchpoints.</source>
        <translation>选择一个客户，查看其档案、联系人和触点记录。</translation>
    </message>
    <message>
        <location line="-120"/>
        <source>Short name:</source>
        <translation>简称：</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Owner:</source>
        <translation>负责人：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Region / city:</source>
        <translation>区域 / 城市：</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Industry:</source>
        <translation>行业：</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Segment:</source>
        <translation>客户类型：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status:</source>
        <translation>状态：</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Phone:</source>
        <translation>电话：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Credit limit:</source>
        <translation>信用额度：</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Notes:</source>
        <translation>备注：</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Edit customer…</source>
        <translation>编辑客户…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add contact…</source>
        <translation>添加联系人…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Edit contact…</source>
        <translation>编辑联系人…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Log touchpoint…</source>
        <translation>记录触点…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Record visit…</source>
        <translation>记录拜访…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>New quote…</source>
        <translation>新建报价…</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Title</source>
        <translation>职务</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Decision role</source>
        <translation>决策角色</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>WeChat</source>
        <translation>微信</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Email</source>
        <translation>邮箱</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Last reached</source>
        <translation>最近联系</translation>
    </message>
    <message>
        <location line="-8"/>
        <source>Contacts</source>
        <translation>联系人</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>Search this customer&apos;s touchpoints</source>
        <translation>搜索该客户的触点记录</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Touchpoints</source>
        <translation>触点记录</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Change history</source>
        <translation>修改记录</translation>
    </message>
    <message>
        <location line="+87"/>
        <source>Contact %1</source>
        <translation>联系人 %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Added contact %1</source>
        <translation>添加联系人 %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Created the customer</source>
        <translation>新建客户</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Removed contact %1</source>
        <translation>删除联系人 %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Other field</source>
        <translation>其他字段</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>(empty)</source>
        <translation>（空）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1: %2 → %3</source>
        <translation>%1：%2 → %3</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>(overwrote %1&apos;s value without having seen it)</source>
        <translation>（覆盖了 %1 的值，修改时未看到该值）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No changes recorded by the server yet.</source>
        <translation>服务器尚未记录任何修改。</translation>
    </message>
    <message>
        <location line="+49"/>
        <source>Searching…</source>
        <translation>搜索中…</translation>
    </message>
    <message>
        <location line="+111"/>
        <source>draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Reaction: %1</source>
        <translation>反应：%1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>(due %1)</source>
        <translation>（期限 %1）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next step: %1</source>
        <translation>下一步：%1</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>No touchpoints yet.</source>
        <translation>暂无触点记录。</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>All %n touchpoint(s) shown.</source>
        <translation>
            <numerusform>已显示全部 %n 条触点记录。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 of %2 touchpoints shown; scroll down for older ones.</source>
        <translation>已显示 %2 条触点记录中的 %1 条；向下滚动查看更早的记录。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>No touchpoint of this customer matches.</source>
        <translation>该客户没有匹配的触点记录。</translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>%n touchpoint(s) match.</source>
        <translation>
            <numerusform>%n 条触点记录匹配。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CustomerDialog</name>
    <message>
        <location filename="../../ui/dialogs/customer_dialog.py" line="+45"/>
        <source>New customer</source>
        <translation>新建客户</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Edit customer</source>
        <translation>编辑客户</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Choose an owner</source>
        <translation>请选择负责人</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Amount in yuan, such as 50000.00; empty for none</source>
        <translation>金额（元），如 50000.00；不设可留空</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Customer name</source>
        <translation>客户名称</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Short name</source>
        <translation>简称</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Region</source>
        <translation>区域</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>City</source>
        <translation>城市</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Industry</source>
        <translation>行业</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Segment</source>
        <translation>客户类型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Credit limit</source>
        <translation>信用额度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location line="+82"/>
        <source>On the server: %1</source>
        <translation>服务器上的值：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>(empty)</source>
        <translation>（空）</translation>
    </message>
</context>
<context>
    <name>CustomerListModel</name>
    <message>
        <location filename="../../ui/customer_list_model.py" line="+194"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Short name</source>
        <translation>简称</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Region</source>
        <translation>区域</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>City</source>
        <translation>城市</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Segment</source>
        <translation>客户类型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Contacts</source>
        <translation>联系人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last touchpoint</source>
        <translation>最近触点</translation>
    </message>
</context>
<context>
    <name>CustomerPicker</name>
    <message>
        <location filename="../../ui/customer_picker.py" line="+53"/>
        <source>Type part of a customer&apos;s name, city or address…</source>
        <translation>输入客户名称、城市或地址的一部分…</translation>
    </message>
    <message>
        <location line="+95"/>
        <source>No customer matches.</source>
        <translation>没有匹配的客户。</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>Showing the newest %n matches; type more to narrow the list.</source>
        <translation>
            <numerusform>显示最新的 %n 个匹配项；继续输入可缩小范围。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CustomersPage</name>
    <message>
        <location filename="../../ui/pages/customers_page.py" line="+57"/>
        <source>Filter by name, city, address, industry…</source>
        <translation>按名称、城市、地址、行业筛选…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>All owners</source>
        <translation>全部负责人</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>All regions</source>
        <translation>全部区域</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>New customer…</source>
        <translation>新建客户…</translation>
    </message>
    <message>
        <location line="+60"/>
        <location line="+8"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message numerus="yes">
        <location line="+84"/>
        <source>%n customer(s)</source>
        <translation>
            <numerusform>%n 个客户</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>EvidenceRow</name>
    <message>
        <location filename="../../ui/dialogs/visit_dialog.py" line="+183"/>
        <location line="+102"/>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <location line="-99"/>
        <location line="+63"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location line="-60"/>
        <source>Repair…</source>
        <translation>修复…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choose the original file to make this copy whole again</source>
        <translation>选择原文件，把这份副本修复完整</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Adding…</source>
        <translation>正在添加…</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copying… %1 of %2</source>
        <translation>正在复制… %1 / %2</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Damaged: the copy of this file on this computer no longer matches what was added. Add the original file again, or press Repair…, to make it whole.</source>
        <translation>已损坏：本机上的这份文件与添加时的内容不再一致。请重新添加原文件，或点击“修复…”，使其恢复完整。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>taken %1</source>
        <translation>拍摄于 %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>no capture time</source>
        <translation>没有拍摄时间</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Photo</source>
        <translation>照片</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Not added</source>
        <translation>未添加</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
</context>
<context>
    <name>FollowUpDialog</name>
    <message>
        <location filename="../../ui/dialogs/follow_up_dialog.py" line="+32"/>
        <source>Follow-up done</source>
        <translation>跟进已完成</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Postpone follow-up</source>
        <translation>推迟跟进</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hand over follow-up</source>
        <translation>转交跟进</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next step</source>
        <translation>下一步</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Due</source>
        <translation>期限</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>(no particular touchpoint)</source>
        <translation>（不指定触点）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Done in</source>
        <translation>完成于</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mark done</source>
        <translation>标记完成</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>New due date</source>
        <translation>新的期限</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Postpone</source>
        <translation>推迟</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Hand over to</source>
        <translation>转交给</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hand over</source>
        <translation>转交</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Choose who takes it over.</source>
        <translation>请选择接手的人。</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Nobody else works with this customer.</source>
        <translation>没有其他人负责这位客户。</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <location filename="../../ui/dialogs/import_dialog.py" line="+118"/>
        <source>Import touchpoints from CSV</source>
        <translation>从 CSV 导入触点</translation>
    </message>
    <message>
        <location line="+270"/>
        <source>Choose file…</source>
        <translation>选择文件…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No file chosen.</source>
        <translation>尚未选择文件。</translation>
    </message>
    <message>
        <location line="-271"/>
        <source>The first row names the columns: customer, channel, time and summary are required; contact, with whom, reaction, next step and next step due may follow. Chinese or English column names (客户, 渠道, 时间, 内容 …). UTF-8 or GBK/GB18030, as Excel saves it. Visits cannot be imported.</source>
        <translation>第一行为列名：客户、渠道、时间、内容为必填列；联系人、沟通对象、客户反应、下一步、下一步期限可选。列名可用中文或英文（客户、渠道、时间、内容 …）。编码为 UTF-8 或 GBK/GB18030，与 Excel 保存的格式相同。拜访不能导入。</translation>
    </message>
    <message>
        <location line="+285"/>
        <source>All rows</source>
        <translation>全部行</translation>
    </message>
    <message>
        <location line="-275"/>
        <source>To import</source>
        <translation>待导入</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Errors</source>
        <translation>有错误</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Duplicates</source>
        <translation>重复</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Imported</source>
        <translation>已导入</translation>
    </message>
    <message>
        <location line="+278"/>
        <source>Show:</source>
        <translation>显示：</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Save error report…</source>
        <translation>保存错误报告…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Choose a CSV file</source>
        <translation>选择 CSV 文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CSV files (*.csv *.txt);;All files (*)</source>
        <translation>CSV 文件 (*.csv *.txt);;所有文件 (*)</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Reading the file…</source>
        <translation>正在读取文件…</translation>
    </message>
    <message>
        <location line="-361"/>
        <source>Importing touchpoints…</source>
        <translation>正在导入触点…</translation>
    </message>
    <message>
        <location line="+384"/>
        <source>Save error report</source>
        <translation>保存错误报告</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The error report could not be saved: %1</source>
        <translation>无法保存错误报告：%1</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n error(s) saved to %1.</source>
        <translation>
            <numerusform>已将 %n 条错误保存到 %1。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Encoding: %1.</source>
        <translation>编码：%1。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>These columns are not imported: %1.</source>
        <translation>以下列不会导入：%1。</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>The import stopped: %1. The rows imported before are kept.</source>
        <translation>导入已中止：%1。此前已导入的行均已保存。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Row %1: %2</source>
        <translation>第 %1 行：%2</translation>
    </message>
    <message numerus="yes">
        <location line="+9"/>
        <source>Import %n row(s)</source>
        <translation>
            <numerusform>导入 %n 行</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>InboxModel</name>
    <message>
        <location filename="../../ui/pages/approvals_page.py" line="-278"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Quote</source>
        <translation>报价单</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Currency</source>
        <translation>币种</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Total</source>
        <translation>总额</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rate drift</source>
        <translation>汇率偏离</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Approvals needed</source>
        <translation>所需审批</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>%1 rev. %2</source>
        <translation>%1 第 %2 版</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>, </source>
        <comment>between the roles in a list</comment>
        <translation>、</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 (approved: %2)</source>
        <translation>%1（已批准：%2）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>approved: %1</source>
        <translation>已批准：%1</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="+103"/>
        <source>Fieldmark</source>
        <translation>Fieldmark 销售过程管控</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Switch user…</source>
        <translation>切换用户…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connect to server…</source>
        <translation>连接服务器…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Import touchpoints from CSV…</source>
        <translation>从 CSV 导入触点…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Fieldmark</source>
        <translation>Fieldmark(&amp;F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choose an entry on the left.</source>
        <translation>请在左侧选择一项。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Fieldmark — %1 (%2)</source>
        <translation>Fieldmark — %1（%2）</translation>
    </message>
    <message>
        <location line="+106"/>
        <source>Unsaved changes</source>
        <translation>有未保存的修改</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Changes on “%1” are not saved yet. Discard them?</source>
        <translation>“%1”中的修改尚未保存。要放弃这些修改吗？</translation>
    </message>
</context>
<context>
    <name>PhotoViewer</name>
    <message>
        <location filename="../../ui/dialogs/photo_viewer.py" line="+23"/>
        <source>Loading the photo…</source>
        <translation>正在加载照片…</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>This photo cannot be shown.</source>
        <translation>无法显示这张照片。</translation>
    </message>
</context>
<context>
    <name>PolicyRuleDialog</name>
    <message>
        <location filename="../../ui/dialogs/policy_rule_dialog.py" line="+44"/>
        <source>Approval rule</source>
        <translation>审批规则</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Approval rule: %1</source>
        <translation>审批规则：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Looks at</source>
        <translation>审批依据</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Approved by</source>
        <translation>审批人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Above</source>
        <translation>阈值</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Currency</source>
        <translation>币种</translation>
    </message>
</context>
<context>
    <name>PreviewModel</name>
    <message>
        <location filename="../../ui/dialogs/import_dialog.py" line="-278"/>
        <source>Row</source>
        <translation>行号</translation>
    </message>
    <message>
        <location line="-178"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Summary</source>
        <translation>内容</translation>
    </message>
    <message>
        <location line="+177"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="-149"/>
        <source>OK</source>
        <translation>可导入</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Imported</source>
        <translation>已导入</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Duplicate: %1</source>
        <translation>重复：%1</translation>
    </message>
    <message>
        <location line="+176"/>
        <source>Error: %1</source>
        <translation>错误：%1</translation>
    </message>
</context>
<context>
    <name>ProductDialog</name>
    <message>
        <location filename="../../ui/dialogs/product_dialog.py" line="+33"/>
        <source>New product</source>
        <translation>新建产品</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Edit product</source>
        <translation>编辑产品</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Such as X200-A</source>
        <translation>如 X200-A</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Such as 台, 套, 个</source>
        <translation>如 台、套、个</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Such as 12800.00</source>
        <translation>如 12800.00</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Can be quoted</source>
        <translation>可报价</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Product code</source>
        <translation>产品编码</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Product name</source>
        <translation>产品名称</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>List price</source>
        <translation>目录价</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Currency</source>
        <translation>币种</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Active</source>
        <translation>在售</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>This product no longer exists.</source>
        <translation>该产品已不存在。</translation>
    </message>
</context>
<context>
    <name>ProductImporter</name>
    <message>
        <location filename="../../ui/dialogs/import_dialog.py" line="-152"/>
        <source>Import products from CSV</source>
        <translation>从 CSV 导入产品</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The first row names the columns: code, name, unit and list price are required; currency (CNY or USD, CNY when empty) and active (yes/no) may follow. Chinese or English column names (产品编码, 产品名称, 单位, 目录价, 币种, 在售). A code already in the catalogue updates that product. UTF-8 or GBK/GB18030, as Excel saves it.</source>
        <translation>第一行为列名：产品编码、产品名称、单位、目录价为必填；币种（CNY 或 USD，留空为 CNY）和在售（是/否）可选。列名可用中文或英文（code, name, unit, list_price, currency, active）。目录中已有的产品编码会更新该产品。文件编码为 UTF-8 或 GBK/GB18030（Excel 保存的格式均可）。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Importing products…</source>
        <translation>正在导入产品…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Code</source>
        <translation>编码</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>List price</source>
        <translation>目录价</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Active</source>
        <translation>在售</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>To import</source>
        <translation>待导入</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New</source>
        <translation>新增</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Updates</source>
        <translation>更新</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+35"/>
        <source>Unchanged</source>
        <translation>无变化</translation>
    </message>
    <message>
        <location line="-34"/>
        <source>Errors</source>
        <translation>有错误</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Imported</source>
        <translation>已导入</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>New product</source>
        <translation>新产品</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Added</source>
        <translation>已新增</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Updated</source>
        <translation>已更新</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Update: %1</source>
        <translation>更新：%1</translation>
    </message>
    <message numerus="yes">
        <location line="+5"/>
        <source>%n new</source>
        <translation>
            <numerusform>新增 %n 个</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n update(s)</source>
        <translation>
            <numerusform>更新 %n 个</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <location line="+8"/>
        <source>%n unchanged</source>
        <translation>
            <numerusform>%n 个无变化</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="-7"/>
        <location line="+8"/>
        <source>%n error(s)</source>
        <translation>
            <numerusform>%n 行有错误</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="-7"/>
        <source>%n row(s) in the file: </source>
        <translation>
            <numerusform>文件共 %n 行：</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+10"/>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message numerus="yes">
        <location line="-7"/>
        <source>%n added</source>
        <translation>
            <numerusform>已新增 %n 个</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n updated</source>
        <translation>
            <numerusform>已更新 %n 个</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>import cancelled, %n row(s) not imported yet</source>
        <translation>
            <numerusform>导入已取消，还有 %n 行未导入</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>.</source>
        <translation>。</translation>
    </message>
</context>
<context>
    <name>ProductsPage</name>
    <message>
        <location filename="../../ui/pages/products_page.py" line="+68"/>
        <source>Search by code or name</source>
        <translation>按编码或名称搜索</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>New product…</source>
        <translation>新建产品…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Import from CSV…</source>
        <translation>从 CSV 导入…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Code</source>
        <translation>编码</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>List price</source>
        <translation>目录价</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Active</source>
        <translation>在售</translation>
    </message>
    <message>
        <location line="+86"/>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message numerus="yes">
        <location line="+5"/>
        <source>%n product(s)</source>
        <translation>
            <numerusform>共 %n 个产品</numerusform>
        </translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Only finance, the finance director, sales managers and administrators can change the product catalogue.</source>
        <translation>只有财务、财务总监、销售经理和管理员可以修改产品目录。</translation>
    </message>
</context>
<context>
    <name>QuoteCompareDialog</name>
    <message>
        <location filename="../../ui/dialogs/quote_compare_dialog.py" line="+55"/>
        <source>Compare versions</source>
        <translation>版本对比</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>What</source>
        <translation>项目</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Before</source>
        <translation>修改前</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>After</source>
        <translation>修改后</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>to</source>
        <translation>到</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Revision %1 (%2)</source>
        <translation>第 %1 版（%2）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>This quote has only one revision here.</source>
        <translation>本机只有这张报价单的一个版本。</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Terms</source>
        <translation>条款</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Lines</source>
        <translation>明细</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>added</source>
        <translation>新增</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>removed</source>
        <translation>删除</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>changed</source>
        <translation>修改</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Line %1 %2: %3</source>
        <translation>第 %1 行 %2：%3</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Totals</source>
        <translation>合计</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Revisions %1 and %2 are the same.</source>
        <translation>第 %1 版与第 %2 版没有差别。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1: revision %2 → revision %3</source>
        <translation>%1：第 %2 版 → 第 %3 版</translation>
    </message>
</context>
<context>
    <name>QuoteDialog</name>
    <message>
        <location filename="../../ui/dialogs/quote_dialog.py" line="+194"/>
        <source>Quote</source>
        <translation>报价单</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>YYYY-MM-DD</source>
        <translation>YYYY-MM-DD</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Contact</source>
        <translation>联系人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Currency</source>
        <translation>币种</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>VAT (%)</source>
        <translation>增值税率（%）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Overall discount (%)</source>
        <translation>整单折扣（%）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Valid until</source>
        <translation>有效期至</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Terms</source>
        <translation>条款</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Customer drawing version</source>
        <translation>客户图纸版本</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Product</source>
        <translation>产品</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Quantity</source>
        <translation>数量</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unit</source>
        <translation>单位</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Unit price</source>
        <translation>单价</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Discount (%)</source>
        <translation>折扣（%）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Net</source>
        <translation>金额</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Add line</source>
        <translation>添加明细行</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Remove line</source>
        <translation>删除明细行</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Submit for approval</source>
        <translation>提交审批</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Withdraw</source>
        <translation>撤回</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Mark as sent</source>
        <translation>标记为已发送</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Revise</source>
        <translation>出新版本</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Preview PDF…</source>
        <translation>预览 PDF…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Print…</source>
        <translation>打印…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Compare versions…</source>
        <translation>版本对比…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>(no product)</source>
        <translation>（无产品）</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>Subtotal %1   Discount %2   Net %3   VAT %4   Total %5 %6</source>
        <translation>小计 %1   折扣 %2   净额 %3   增值税 %4   总额 %5 %6</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Nothing was changed.</source>
        <translation>没有需要保存的修改。</translation>
    </message>
    <message>
        <location line="+55"/>
        <location line="+66"/>
        <source>Quote %1</source>
        <translation>报价单 %1</translation>
    </message>
    <message>
        <location line="-44"/>
        <source>Could not print: %1</source>
        <translation>无法打印：%1</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>New quote</source>
        <translation>新建报价</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Quote %1 rev. %2 — %3 — %4</source>
        <translation>报价单 %1 第 %2 版 — %3 — %4</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>approved by %1</source>
        <translation>%1 已批准</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>rejected by %1</source>
        <translation>%1 已驳回</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Locked USD/CNY rate: %1</source>
        <translation>锁定的美元兑人民币汇率：%1</translation>
    </message>
    <message>
        <location line="+134"/>
        <source>Line %1: %2</source>
        <translation>第 %1 行：%2</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Submit the quote with this rate locked?</source>
        <translation>仍锁定此汇率并提交报价吗？</translation>
    </message>
</context>
<context>
    <name>QuotesPage</name>
    <message>
        <location filename="../../ui/pages/quotes_page.py" line="+99"/>
        <source>New quote…</source>
        <translation>新建报价…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open…</source>
        <translation>打开…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show superseded revisions</source>
        <translation>显示已被取代的版本</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Quote number or customer</source>
        <translation>报价单号或客户</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Any status</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Quote</source>
        <translation>报价单</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Currency</source>
        <translation>币种</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Total</source>
        <translation>总额</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Owner</source>
        <translation>负责人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Changed</source>
        <translation>修改时间</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>%1 rev. %2</source>
        <translation>%1 第 %2 版</translation>
    </message>
    <message numerus="yes">
        <location line="+11"/>
        <source>%n quote(s)</source>
        <translation>
            <numerusform>%n 份报价单</numerusform>
        </translation>
    </message>
    <message>
        <location line="-2"/>
        <source>search to find others.</source>
        <translation>搜索可找到其余的报价。</translation>
    </message>
</context>
<context>
    <name>RateDialog</name>
    <message>
        <location filename="../../ui/dialogs/rate_dialog.py" line="+40"/>
        <source>Record an exchange rate</source>
        <translation>录入汇率</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>CNY for one USD, such as 7.1186</source>
        <translation>1 美元兑人民币，如 7.1186</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Currency pair</source>
        <translation>货币对</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rate</source>
        <translation>汇率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rate date</source>
        <translation>汇率日期</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Today&apos;s date is China&apos;s; the central parity is published at 09:15 Beijing time.</source>
        <translation>“今天”按北京时间计；人民币汇率中间价于北京时间 09:15 发布。</translation>
    </message>
</context>
<context>
    <name>RateImportDialog</name>
    <message>
        <location filename="../../ui/dialogs/rate_import_dialog.py" line="+64"/>
        <source>Import exchange rates</source>
        <translation>导入汇率</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Choose file…</source>
        <translation>选择文件…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>A CSV file with a header row and the columns date, pair and rate (source is optional: cfets, csv or manual).</source>
        <translation>CSV 文件，第一行为列名，需包含 日期、货币对、汇率 三列（来源可选：cfets、csv 或 manual）。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Pair</source>
        <translation>货币对</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Rate</source>
        <translation>汇率</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rows that will not be imported:</source>
        <translation>以下各行不会导入：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Row</source>
        <translation>行号</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Column</source>
        <translation>列</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Choose a CSV file</source>
        <translation>选择 CSV 文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CSV files (*.csv *.txt);;All files (*)</source>
        <translation>CSV 文件 (*.csv *.txt);;所有文件 (*)</translation>
    </message>
    <message numerus="yes">
        <location line="+39"/>
        <source>%n rate(s) recorded.</source>
        <translation>
            <numerusform>已录入 %n 条汇率。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>%1 rate(s) read, %2 row(s) with problems.</source>
        <translation>读取到 %1 条汇率，%2 行有问题。</translation>
    </message>
</context>
<context>
    <name>RatesPage</name>
    <message>
        <location filename="../../ui/pages/rates_page.py" line="+74"/>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Rate</source>
        <translation>汇率</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Fetched</source>
        <translation>获取时间</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Recorded by</source>
        <translation>录入人</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Record a rate…</source>
        <translation>录入汇率…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Import from CSV…</source>
        <translation>从 CSV 导入…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Fetch the central parity</source>
        <translation>获取人民币汇率中间价</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>Asking the server for the central parity…</source>
        <translation>正在请服务器获取汇率中间价…</translation>
    </message>
    <message>
        <location line="+61"/>
        <source>No %1 rate is cached here yet.</source>
        <translation>本机还没有 %1 汇率。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Latest: %1 (%2, %3) · %4</source>
        <translation>最新：%1（%2，%3）· %4</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Only finance, the finance director and administrators record exchange rates; everyone else sees them here.</source>
        <translation>只有财务、财务总监和管理员可以录入汇率；其他人在此查看。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The server fetches the central parity from CFETS: connect to the server first (Fieldmark &gt; Connect to server…).</source>
        <translation>汇率中间价由服务器从中国外汇交易中心获取：请先连接服务器（Fieldmark &gt; 连接服务器…）。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Connect to the server first (Fieldmark &gt; Connect to server…).</source>
        <translation>请先连接服务器（Fieldmark &gt; 连接服务器…）。</translation>
    </message>
    <message>
        <location line="-7"/>
        <source>Central parity fetched: %1 new or corrected, %2 already here.</source>
        <translation>已获取汇率中间价：新增或更正 %1 条，已有 %2 条。</translation>
    </message>
</context>
<context>
    <name>RuleDialog</name>
    <message>
        <location filename="../../ui/dialogs/rule_dialog.py" line="+97"/>
        <source>Visit capture rule</source>
        <translation>拜访采集规则</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Every visit (default)</source>
        <translation>所有拜访（默认）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Visit type</source>
        <translation>拜访类型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Customer segment</source>
        <translation>客户类型</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>At least</source>
        <translation>至少</translation>
    </message>
    <message>
        <location line="+0"/>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Within</source>
        <translation>在签到前后</translation>
    </message>
    <message>
        <location line="+0"/>
        <source> h of the check-in</source>
        <translation> 小时内</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>At most</source>
        <translation>最多</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A photo already used by an earlier visit is refused</source>
        <translation>拒绝以前拜访用过的照片</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The rule is in force</source>
        <translation>规则生效</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Applies to</source>
        <translation>适用范围</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Which one</source>
        <translation>具体类型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Required photos</source>
        <translation>必需照片</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recording</source>
        <translation>录音</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Photo time</source>
        <translation>拍摄时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>File size</source>
        <translation>文件大小</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Photo reuse</source>
        <translation>照片重复使用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Active</source>
        <translation>启用</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Visit capture rule: %1</source>
        <translation>拜访采集规则：%1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Version %1, last changed by %2 on %3.</source>
        <translation>第 %1 版，最后由 %2 于 %3 修改。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The built-in default; saving it makes it the organisation&apos;s own.</source>
        <translation>内置默认规则；保存后成为本公司自己的规则。</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>(every visit)</source>
        <translation>（所有拜访）</translation>
    </message>
</context>
<context>
    <name>ServerDialog</name>
    <message>
        <location filename="../../ui/dialogs/server_dialog.py" line="+55"/>
        <source>Connect to server</source>
        <translation>连接服务器</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Connect to your organisation&apos;s server</source>
        <translation>连接贵公司的服务器</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No one can sign in on this computer yet: this data folder holds no accounts. Connect to your organisation&apos;s Fieldmark server with the user name and password your administrator gave you; your customers and your team&apos;s data are then downloaded, and you can work offline from then on.</source>
        <translation>本机还没有可以登录的用户：此数据文件夹中没有账户。请用管理员给您的用户名和密码连接贵公司的 Fieldmark 服务器；您的客户和团队数据随后会下载到本机，之后离线也能工作。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>e.g. rep.li</source>
        <translation>例如 rep.li</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Use a new, empty folder…</source>
        <translation>使用新的空文件夹…</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Server address</source>
        <translation>服务器地址</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+91"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="-91"/>
        <location line="+91"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="-90"/>
        <source>Connect</source>
        <translation>连接</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Sign in again to go on syncing: %1</source>
        <translation>请重新登录以继续同步：%1</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Enter the server address, your user name and your password.</source>
        <translation>请输入服务器地址、用户名和密码。</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Looking for the server…</source>
        <translation>正在查找服务器…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Signing in…</source>
        <translation>正在登录…</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Sending this computer&apos;s changes…</source>
        <translation>正在发送本机的修改…</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>Downloading your organisation&apos;s data…</source>
        <translation>正在下载贵公司的数据…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Indexing the downloaded data…</source>
        <translation>正在为下载的数据建立索引…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Downloading your organisation&apos;s data, about %1 left</source>
        <translation>正在下载贵公司的数据，约还需 %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>The first download from %1 stopped before it finished. What arrived is kept on this computer, but the folder cannot be used until the download is complete: type your password and press Connect to go on from where it stopped.</source>
        <translation>从 %1 的首次下载未完成就中断了。已收到的数据保存在本机，但下载完成之前此文件夹还不能使用：请输入密码并点“连接”，从中断处继续。</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Stopped. What arrived so far is kept on this computer, but the folder cannot be used until the first download is complete. Press Connect to go on from where it stopped.</source>
        <translation>已停止。已收到的数据保存在本机，但首次下载完成之前此文件夹还不能使用。点“连接”可从中断处继续。</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <location filename="../../ui/sign_in_dialog.py" line="+43"/>
        <source>Sign in to Fieldmark</source>
        <translation>登录 Fieldmark</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>User:</source>
        <translation>用户：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Password:</source>
        <translation>密码：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No one can sign in on this computer yet: this data folder holds no accounts. Connect to your organisation&apos;s server to get yours.</source>
        <translation>本机还没有可以登录的用户：此数据文件夹中没有账户。请连接贵公司的服务器以获取您的账户。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Connect to server…</source>
        <translation>连接服务器…</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>There is no one to sign in as on this computer; connect to your organisation&apos;s server first.</source>
        <translation>本机没有可以登录的用户，请先连接贵公司的服务器。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Enter your password.</source>
        <translation>请输入密码。</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <location filename="../../ui/status_bar.py" line="+213"/>
        <source>Since %1. Dismiss this notice on the Sync problems page.</source>
        <translation>自 %1 起。可在“同步问题”页关闭此提示。</translation>
    </message>
    <message>
        <location line="-71"/>
        <source>Syncing…</source>
        <translation>正在同步…</translation>
    </message>
    <message>
        <location line="+25"/>
        <location line="+4"/>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>Not connected to a Fieldmark server. Everything you enter is kept on this computer and sent when a connection exists.</source>
        <translation>未连接 Fieldmark 服务器。您录入的所有内容都保存在本机，连接后自动发送。</translation>
    </message>
    <message>
        <location line="-100"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop this sync. What was already sent or received is kept; the next sync continues from there.</source>
        <translation>停止本次同步。已发送或已接收的内容都会保留，下次同步从这里继续。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sign in again…</source>
        <translation>重新登录…</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>Sending changes…</source>
        <translation>正在发送修改…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Receiving changes…</source>
        <translation>正在接收数据…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sending photos and recordings…</source>
        <translation>正在发送照片和录音…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Downloading your data for the first time…</source>
        <translation>正在首次下载数据…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Downloading your data for the first time, about %1 left</source>
        <translation>正在首次下载数据，约还需 %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Indexing the downloaded data…</source>
        <translation>正在为下载的数据建立索引…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Fieldmark keeps trying by itself, less often while the server stays out of reach.</source>
        <translation>Fieldmark 会自动重试；服务器一直连不上时，重试间隔会逐渐拉长。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Signed out of the server</source>
        <translation>已从服务器登出</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Upgrade needed: %1</source>
        <translation>需要升级：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sync stays off until Fieldmark is upgraded. Everything you enter is kept on this computer.</source>
        <translation>升级 Fieldmark 之前同步保持关闭。您录入的所有内容都保存在本机。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Sync stopped; what was done is kept</source>
        <translation>同步已停止，已完成的部分已保留</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The next sync continues from where this one stopped.</source>
        <translation>下次同步会从这次停下的地方继续。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sync failed — %1</source>
        <translation>同步失败 — %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Last sync: %1</source>
        <translation>上次同步：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Last sync: never</source>
        <translation>上次同步：从未</translation>
    </message>
    <message numerus="yes">
        <location line="+5"/>
        <source>Your computer&apos;s clock is %n minute(s) off the server&apos;s</source>
        <translation>
            <numerusform>您的电脑时钟与服务器相差 %n 分钟</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+18"/>
        <source>%n change(s) waiting to be sent</source>
        <translation>
            <numerusform>%n 项修改待发送</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SyncProblemsPage</name>
    <message>
        <location filename="../../ui/pages/sync_problems_page.py" line="+79"/>
        <source>Dismiss</source>
        <translation>知道了</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Since %1</source>
        <translation>自 %1 起</translation>
    </message>
    <message>
        <location line="-50"/>
        <source>No sync problems: the server has refused none of the changes sent from this computer.</source>
        <translation>没有同步问题：本机发送的修改均未被服务器拒绝。</translation>
    </message>
    <message>
        <location line="+85"/>
        <source>What this change was about is no longer on this computer (it was discarded, or given to someone else), so it cannot be sent again. Discard this problem.</source>
        <translation>此修改涉及的内容已不在本机（已被丢弃，或已转给他人），无法重新发送。请丢弃此问题。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>This change cannot be sent again as it is: %1</source>
        <translation>此修改无法原样重新发送：%1</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>You can no longer see this customer on this computer (it may have been given to someone else), so this change cannot be corrected and sent again. Discard it, or ask the customer&apos;s owner to make it.</source>
        <translation>您在本机已看不到这个客户（它可能已转给别人负责），因此无法修改后重新发送此修改。请放弃它，或请客户负责人来做这项修改。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>This visit is no longer on this computer (it was discarded, or its customer was given to someone else), so it cannot be corrected here. Discard this problem.</source>
        <translation>这次拜访已不在本机上（草稿已删除，或客户已交给别人负责），无法在这里修改。请放弃此问题。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>This contact is no longer on this computer, so this change cannot be corrected and sent again. Discard it.</source>
        <translation>本机上已没有这位联系人，因此无法修改后重新发送此修改。请放弃它。</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>%1
Save to set your values again as a new change. Cancel leaves everything as it is.</source>
        <translation>%1
保存即把您的值作为一次新的修改重新设置。取消则不做任何更改。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The server did not accept this change: %1
Correct it and save to send it as a new change. Cancel leaves everything as it is.</source>
        <translation>服务器没有接受此修改：%1
请改正后保存，它会作为一项新的修改发送。点“取消”则一切保持原样。</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Send again</source>
        <translation>重新发送</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Apply my value again</source>
        <translation>重新应用我的值</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+27"/>
        <location line="+33"/>
        <source>Sent again: waiting for the server&apos;s answer at the next sync.</source>
        <translation>已重新发送：等待下次同步时服务器的答复。</translation>
    </message>
    <message>
        <location line="-57"/>
        <source>The file is no longer on this computer, so it cannot be sent again.</source>
        <translation>文件已不在本机，无法重新发送。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>This change is still waiting to be sent; the server decides at the next sync.</source>
        <translation>此修改仍在等待发送，下次同步时由服务器决定。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Set your value again as a new change, on top of the other person&apos;s; it goes to the server with the next sync and replaces theirs.</source>
        <translation>把您的值作为一次新的修改重新设置在对方的值之上；下次同步时发送到服务器，替换对方的值。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Send this change again exactly as it is, for when the reason has gone (a permission granted, the server upgraded). If the server refuses it again, it comes back here with the new reason.</source>
        <translation>原样重新发送此修改，适用于原因已消除的情况（已获授权、服务器已升级）。如果服务器再次拒绝，它会带着新的原因回到这里。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Edit and resend…</source>
        <translation>修改后重新发送…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Fieldmark has no form for this kind of change, so it cannot be corrected here; send it again as it is, or discard it and ask an administrator if it is still needed.</source>
        <translation>Fieldmark 没有此类修改的表单，无法在此更正；可原样重新发送，或丢弃后如仍需要请联系管理员。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Stop showing this problem. The change sent again still goes to the server; if the server refuses it, it comes back here.</source>
        <translation>不再显示此问题。已重新发送的修改仍会发往服务器；如果服务器拒绝，它会回到这里。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Keep the other person&apos;s value; yours stays in the customer&apos;s history.</source>
        <translation>保留对方的值；您的值仍保留在客户的修改记录中。</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>Your version (new: the server has no earlier version)</source>
        <translation>您的版本（新增：服务器上没有之前的版本）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The server&apos;s reason is about this field.</source>
        <translation>服务器的原因与此字段有关。</translation>
    </message>
    <message>
        <location line="-62"/>
        <source>Open the form with your values, correct them and save: the corrected change is sent as a new one and this one is set aside.</source>
        <translation>用您填写的内容打开表单，改正后保存：改正后的修改会作为新的修改发送，这一项随之搁置。</translation>
    </message>
    <message>
        <location line="-225"/>
        <source>Changes the server did not accept, or that someone else&apos;s edit replaced</source>
        <translation>服务器未接受的修改，或被他人修改覆盖的修改</translation>
    </message>
    <message>
        <location line="+229"/>
        <source>Discard</source>
        <translation>放弃</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Let this change go; the server&apos;s version stays.</source>
        <translation>放弃此修改，保留服务器上的版本。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The file %1 is no longer on this computer: it cannot be sent again.</source>
        <translation>文件 %1 已不在本机，无法重新发送。</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Made on this computer: %1</source>
        <translation>在本机修改于：%1</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Your version</source>
        <translation>您的版本</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Server&apos;s version</source>
        <translation>服务器的版本</translation>
    </message>
</context>
<context>
    <name>TeamActivityPage</name>
    <message numerus="yes">
        <location filename="../../ui/pages/team_activity_page.py" line="+40"/>
        <source>Last %n day(s)</source>
        <translation>
            <numerusform>最近 %n 天</numerusform>
        </translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Who:</source>
        <translation>人员：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Period:</source>
        <translation>时间范围：</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Everyone in the team</source>
        <translation>团队全体成员</translation>
    </message>
    <message numerus="yes">
        <location line="+33"/>
        <source>%n touchpoint(s)</source>
        <translation>
            <numerusform>%n 条触点记录</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TodaysPlanPage</name>
    <message>
        <location filename="../../ui/pages/todays_plan_page.py" line="+67"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Visit type</source>
        <translation>拜访类型</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Check-in</source>
        <translation>签到</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Changed</source>
        <translation>修改时间</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Double-click a draft to continue it.</source>
        <translation>双击草稿继续填写。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Log a touchpoint…</source>
        <translation>记录触点…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Record a visit…</source>
        <translation>记录拜访…</translation>
    </message>
    <message>
        <location line="+84"/>
        <source>Next steps due today or overdue: %1 (%2 overdue)</source>
        <translation>今日到期或已逾期的下一步：%1（其中逾期 %2）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Logged today: %1</source>
        <translation>今日已记录：%1</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Unfinished visits (drafts): %1</source>
        <translation>未完成的拜访（草稿）：%1</translation>
    </message>
    <message>
        <location line="-132"/>
        <source>Double-click a next step to log the touchpoint that follows it up.</source>
        <translation>双击下一步，记录跟进它的触点。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Done…</source>
        <translation>已完成…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Postpone…</source>
        <translation>推迟…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hand over…</source>
        <translation>转交…</translation>
    </message>
</context>
<context>
    <name>TouchpointDialog</name>
    <message>
        <location filename="../../ui/dialogs/touchpoint_dialog.py" line="+59"/>
        <source>Log a touchpoint</source>
        <translation>记录触点</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>What was said, shown, agreed or asked for</source>
        <translation>说了什么、展示了什么、约定了什么或对方提了什么要求</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Due by</source>
        <translation>截止日期</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Contact</source>
        <translation>联系人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>With whom</source>
        <translation>沟通对象</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>What was said</source>
        <translation>沟通内容</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Customer&apos;s reaction</source>
        <translation>客户反应</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reaction details</source>
        <translation>反应说明</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next step</source>
        <translation>下一步</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next step due</source>
        <translation>下一步期限</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Log touchpoint</source>
        <translation>记录触点</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Choose the customer from the list under the search box.</source>
        <translation>请从搜索框下方的列表中选择客户。</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>The contact chosen before is no longer on this customer.</source>
        <translation>之前选择的联系人已不在这个客户名下。</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>(no particular contact)</source>
        <translation>（不指定联系人）</translation>
    </message>
    <message>
        <location line="-149"/>
        <source>A follow-up stays open on Today&apos;s plan until you close it.</source>
        <translation>跟进事项会一直留在今日计划中，直到您将其关闭。</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Completes follow-up</source>
        <translation>同时完成跟进</translation>
    </message>
    <message>
        <location line="+126"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>(no open follow-up here)</source>
        <translation>（此客户没有待办跟进）</translation>
    </message>
</context>
<context>
    <name>TouchpointImporter</name>
    <message numerus="yes">
        <location filename="../../ui/dialogs/import_dialog.py" line="-94"/>
        <source>%n to import</source>
        <translation>
            <numerusform>%n 行待导入</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n duplicate(s)</source>
        <translation>
            <numerusform>%n 行重复</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <location line="+6"/>
        <source>%n error(s)</source>
        <translation>
            <numerusform>%n 行有错误</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="-5"/>
        <source>%n row(s) in the file: </source>
        <translation>
            <numerusform>文件共 %n 行：</numerusform>
        </translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+8"/>
        <source>, </source>
        <translation>，</translation>
    </message>
    <message numerus="yes">
        <location line="-5"/>
        <source>%n imported</source>
        <translation>
            <numerusform>已导入 %n 条</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n duplicate(s) skipped</source>
        <translation>
            <numerusform>跳过重复 %n 条</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>import cancelled, %n row(s) not imported yet</source>
        <translation>
            <numerusform>导入已取消，还有 %n 行未导入</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>.</source>
        <translation>。</translation>
    </message>
</context>
<context>
    <name>VisitDialog</name>
    <message>
        <location filename="../../ui/dialogs/visit_dialog.py" line="+41"/>
        <source>Visit</source>
        <translation>拜访</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+3"/>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location line="+61"/>
        <source>Choose the customer from the list under the search box.</source>
        <translation>请从搜索框下方的列表中选择客户。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choose the customer first.</source>
        <translation>请先选择客户。</translation>
    </message>
    <message>
        <location line="+66"/>
        <source>Not added: the visit could not be saved first (%1)</source>
        <translation>未添加：拜访未能先保存（%1）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Add photos and recordings</source>
        <translation>添加照片和录音</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+369"/>
        <source>Photos and recordings (%1)</source>
        <translation>照片和录音 (%1)</translation>
    </message>
    <message>
        <location line="-369"/>
        <location line="+369"/>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <location line="-352"/>
        <location line="+177"/>
        <source>Discard draft</source>
        <translation>删除草稿</translation>
    </message>
    <message>
        <location line="-176"/>
        <source>Discard this visit and its photos and recordings?</source>
        <translation>删除这条拜访及其照片和录音？</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Recordings cannot be played on this computer.</source>
        <translation>这台电脑无法播放录音。</translation>
    </message>
    <message>
        <location line="+57"/>
        <source>Address or place of the visit</source>
        <translation>拜访的地址或地点</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>What was seen, said, shown or agreed</source>
        <translation>看到、谈到、演示或约定的内容</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Due by</source>
        <translation>期限</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Visit type</source>
        <translation>拜访类型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Check-in time</source>
        <translation>签到时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Location</source>
        <translation>地点</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Contact</source>
        <translation>联系人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>With whom</source>
        <translation>沟通对象</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Notes</source>
        <translation>拜访记录</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Customer&apos;s reaction</source>
        <translation>客户反应</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reaction details</source>
        <translation>反应说明</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next step</source>
        <translation>下一步</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next step due</source>
        <translation>下一步期限</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Add photos or recordings…</source>
        <translation>添加照片或录音…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Or drop files on this window. Photos: JPEG, PNG, HEIC; recordings: WAV, MP3, M4A, AAC, AMR, 3GP, OGG/Opus.</source>
        <translation>也可以把文件拖到此窗口。照片：JPEG、PNG、HEIC；录音：WAV、MP3、M4A、AAC、AMR、3GP、OGG/Opus。</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Evidence</source>
        <translation>拜访证据</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Save draft</source>
        <translation>保存草稿</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+391"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location line="-390"/>
        <source>Submit</source>
        <translation>提交</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Record correction…</source>
        <translation>记录更正…</translation>
    </message>
    <message>
        <location line="+171"/>
        <source>Choose the original of %1</source>
        <translation>选择“%1”的原文件</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>%1 cannot be read: %2</source>
        <translation>无法读取 %1：%2</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>The visit cannot be submitted yet:</source>
        <translation>拜访还不能提交：</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location line="+93"/>
        <source>Needed before the visit can be submitted:</source>
        <translation>提交前需要：</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Photo: %1</source>
        <translation>%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A recording of at least %1 s</source>
        <translation>至少 %1 秒的录音</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>(longest: %1 s)</source>
        <translation>（最长：%1 秒）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Photos taken within %1 h of the check-in</source>
        <translation>照片在签到前后 %1 小时内拍摄</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No file larger than %1 MB</source>
        <translation>单个文件不超过 %1 MB</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No photo used by an earlier visit</source>
        <translation>不使用以前拜访用过的照片</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Visit notes written</source>
        <translation>已填写拜访记录</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Visit (submitted)</source>
        <translation>拜访（已提交）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Submitted. It cannot change any more; record a correction to put something right.</source>
        <translation>已提交，不能再修改；如需更正，请记录一条更正。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>A draft of another user; only its author can change it.</source>
        <translation>这是其他用户的草稿，只有作者本人可以修改。</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>(no particular contact)</source>
        <translation>（不指定联系人）</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>The recording cannot be played here: %1</source>
        <translation>录音无法在此播放：%1</translation>
    </message>
</context>
<context>
    <name>VisitReviewPage</name>
    <message>
        <location filename="../../ui/pages/visit_review_page.py" line="+286"/>
        <source>Rep</source>
        <translation>业务员</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Visits</source>
        <translation>拜访次数</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+159"/>
        <source>Passed</source>
        <translation>合格</translation>
    </message>
    <message>
        <location line="-158"/>
        <source>Capture rate</source>
        <translation>合格率</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Capture rate per rep, for the visits shown</source>
        <translation>各业务员的过程合格率（按当前筛选的拜访）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A visit counts as passed when it met its capture rule at submission; visits no rule checked count as not passed.</source>
        <translation>拜访在提交时满足采集规则即为合格；未经规则检查的拜访计为不合格。</translation>
    </message>
    <message>
        <location line="+45"/>
        <location line="+342"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location line="-311"/>
        <source>This recording is not on this computer yet.</source>
        <translation>这段录音还没有下载到本机。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Recordings cannot be played on this computer (no audio support).</source>
        <translation>本机无法播放录音（没有音频支持）。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Playing %1…</source>
        <translation>正在播放 %1…</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>taken %1</source>
        <translation>拍摄于 %1</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>This photo cannot be shown.</source>
        <translation>无法显示这张照片。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>This photo is not on this computer yet.</source>
        <translation>这张照片还没有下载到本机。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Everyone</source>
        <translation>全部人员</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Customer: name, city, address…</source>
        <translation>客户：名称、城市、地址…</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Any result</source>
        <translation>全部结果</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Not passed</source>
        <translation>不合格</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Rep:</source>
        <translation>业务员：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Customer:</source>
        <translation>客户：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>From:</source>
        <translation>从：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>To:</source>
        <translation>到：</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+21"/>
        <source>Capture rule:</source>
        <translation>采集规则：</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>Check-in:</source>
        <translation>签到：</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Visit type:</source>
        <translation>拜访类型：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Location:</source>
        <translation>地点：</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>With whom:</source>
        <translation>沟通对象：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Notes:</source>
        <translation>拜访记录：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reaction:</source>
        <translation>客户反应：</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Next step:</source>
        <translation>下一步：</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Recordings</source>
        <translation>录音</translation>
    </message>
    <message numerus="yes">
        <location line="+25"/>
        <source>%n visit(s)</source>
        <translation>
            <numerusform>%n 次拜访</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 passed every rule (%2)</source>
        <translation>%1 次符合全部规则（%2）</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>All</source>
        <translation>合计</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>The visits could not be read: %1</source>
        <translation>无法读取拜访记录：%1</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>Select a visit to see its notes and evidence.</source>
        <translation>选择一次拜访，查看记录和证据。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>(due %1)</source>
        <translation>（期限 %1）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>(rule version %1)</source>
        <translation>（规则第 %1 版）</translation>
    </message>
    <message>
        <location line="+57"/>
        <source>No photos.</source>
        <translation>没有照片。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>No recordings.</source>
        <translation>没有录音。</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+99"/>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <location line="-92"/>
        <location line="+36"/>
        <source>not on this computer yet</source>
        <translation>尚未下载到本机</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>cannot be shown</source>
        <translation>无法显示</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>The recording cannot be played: %1</source>
        <translation>无法播放录音：%1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
</context>
<context>
    <name>VisitRulesPage</name>
    <message>
        <location filename="../../ui/pages/visit_rules_page.py" line="+39"/>
        <source>A visit can be submitted only with the evidence its rule asks for. The rule for the visit&apos;s type applies first, then the one for the customer&apos;s segment, then the default.</source>
        <translation>拜访必须具备规则要求的证据才能提交。优先适用拜访类型的规则，其次是客户类型的规则，最后是默认规则。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Applies to</source>
        <translation>适用范围</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Required photos</source>
        <translation>必需照片</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Recording</source>
        <translation>录音</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Photo time</source>
        <translation>拍摄时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Largest file</source>
        <translation>文件上限</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>No reuse</source>
        <translation>禁止重复</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Active</source>
        <translation>启用</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last changed</source>
        <translation>最后修改</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Edit rule…</source>
        <translation>编辑规则…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>New rule…</source>
        <translation>新建规则…</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>%1, %2</source>
        <translation>%1，%2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>built in</source>
        <translation>内置</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+1"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location line="-1"/>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>≥ %1 s</source>
        <translation>≥ %1 秒</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>± %1 h</source>
        <translation>± %1 小时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>any</source>
        <translation>不限</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no limit</source>
        <translation>不限</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location line="-1"/>
        <location line="+1"/>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message numerus="yes">
        <location line="+9"/>
        <source>%n rule(s).</source>
        <translation>
            <numerusform>共 %n 条规则。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VisitTableModel</name>
    <message>
        <location filename="../../ui/pages/visit_review_page.py" line="-609"/>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rep</source>
        <translation>业务员</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Visit type</source>
        <translation>拜访类型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Location</source>
        <translation>地点</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Notes</source>
        <translation>拜访记录</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Capture rule</source>
        <translation>采集规则</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Evidence</source>
        <translation>证据</translation>
    </message>
    <message numerus="yes">
        <location line="+40"/>
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n 张照片</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n recording(s)</source>
        <translation>
            <numerusform>%n 段录音</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>activity</name>
    <message>
        <location filename="../../ui/activity_table.py" line="+22"/>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>By</source>
        <translation>记录人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>What was said</source>
        <translation>沟通内容</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reaction</source>
        <translation>反应</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next step</source>
        <translation>下一步</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Due</source>
        <translation>期限</translation>
    </message>
</context>
<context>
    <name>dialog</name>
    <message>
        <location filename="../../ui/progress.py" line="+83"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>forms</name>
    <message>
        <location filename="../../ui/forms.py" line="+71"/>
        <source>An older exchange rate</source>
        <translation>汇率较旧</translation>
    </message>
    <message>
        <location line="+231"/>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="-48"/>
        <source>Discard what you typed?</source>
        <translation>放弃已输入的内容？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>What you typed in this window has not been saved.</source>
        <translation>此窗口中输入的内容尚未保存。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Keep editing</source>
        <translation>继续编辑</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Discard</source>
        <translation>放弃</translation>
    </message>
</context>
<context>
    <name>labels</name>
    <message>
        <location filename="../../ui/labels.py" line="+17"/>
        <source>Visit</source>
        <translation>拜访</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Call</source>
        <translation>电话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>WeChat</source>
        <translation>微信</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>File sent</source>
        <translation>发送文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Meeting</source>
        <translation>会议</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Decision maker</source>
        <translation>决策人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Technical evaluator</source>
        <translation>技术评估人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Purchasing</source>
        <translation>采购</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>User</source>
        <translation>使用者</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Influencer</source>
        <translation>影响者</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Positive</source>
        <translation>积极</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Neutral</source>
        <translation>中立</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Negative</source>
        <translation>消极</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Key account</source>
        <translation>大客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Standard</source>
        <translation>普通客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prospect</source>
        <translation>潜在客户</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Active</source>
        <translation>活跃</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dormant</source>
        <translation>休眠</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Lost</source>
        <translation>已流失</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>just now</source>
        <translation>刚刚</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%n minute(s) ago</source>
        <translation>%n 分钟前</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%n hour(s) ago</source>
        <translation>%n 小时前</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%n day(s) ago</source>
        <translation>%n 天前</translation>
    </message>
    <message>
        <location line="+74"/>
        <source>Routine visit</source>
        <translation>例行拜访</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>First visit</source>
        <translation>首次拜访</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Demonstration</source>
        <translation>产品演示</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Installation</source>
        <translation>安装</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Service visit</source>
        <translation>服务拜访</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Storefront</source>
        <translation>门头照片</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Equipment nameplate</source>
        <translation>设备铭牌照片</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Other photo</source>
        <translation>其他照片</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Visit type: %1</source>
        <translation>拜访类型：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Segment: %1</source>
        <translation>客户类型：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Default (all visits)</source>
        <translation>默认（所有拜访）</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Not checked</source>
        <translation>未检查</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Passed</source>
        <translation>合格</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not passed</source>
        <translation>不合格</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Draft</source>
        <translation>草稿</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Awaiting approval</source>
        <translation>待审批</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Approved</source>
        <translation>已批准</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Rejected</source>
        <translation>已驳回</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Superseded</source>
        <translation>已被取代</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>CNY</source>
        <translation>人民币</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>USD</source>
        <translation>美元</translation>
    </message>
    <message>
        <location filename="../../ui/rate_labels.py" line="+18"/>
        <source>CFETS</source>
        <translation>中国外汇交易中心</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CSV file</source>
        <translation>CSV 文件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Entered by hand</source>
        <translation>手工录入</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../../ui/labels.py" line="-121"/>
        <source>Latest %1 of %2</source>
        <translation>最近 %1 条，共 %2 条</translation>
    </message>
    <message>
        <location line="-1"/>
        <source>Latest %1 of more than %2</source>
        <translation>最近 %1 条，共 %2 多条</translation>
    </message>
</context>
<context>
    <name>policy</name>
    <message>
        <location filename="../../ui/dialogs/policy_rule_dialog.py" line="-49"/>
        <source>Every quote</source>
        <translation>每张报价</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Exchange-rate drift</source>
        <translation>汇率偏离</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Discount</source>
        <translation>折扣</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quote total</source>
        <translation>报价总额</translation>
    </message>
</context>
<context>
    <name>roles</name>
    <message>
        <location filename="../../ui/labels.py" line="-15"/>
        <source>Field rep</source>
        <translation>销售代表</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Key-account director</source>
        <translation>大客户总监</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Channel manager</source>
        <translation>渠道经理</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sales manager</source>
        <translation>销售经理</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Finance</source>
        <translation>财务</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Finance director</source>
        <translation>财务总监</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Service engineer</source>
        <translation>服务工程师</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Administrator</source>
        <translation>系统管理员</translation>
    </message>
</context>
<context>
    <name>startup</name>
    <message>
        <location filename="../../ui/startup.py" line="+167"/>
        <source>Cannot open the database</source>
        <translation>无法打开数据库</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The data folder %1 cannot be used (%2). Choose another folder.</source>
        <translation>无法使用数据文件夹 %1（%2）。请选择其他文件夹。</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Demo data</source>
        <translation>演示数据</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The demo data could not be loaded: %1</source>
        <translation>演示数据加载失败：%1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Preparing the demo organisation…</source>
        <translation>正在准备演示组织…</translation>
    </message>
    <message>
        <location line="-89"/>
        <source>Upgrading the database</source>
        <translation>正在升级数据库</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>Upgrading the database…</source>
        <translation>正在升级数据库…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Upgrading the database (the backup is saved)…</source>
        <translation>正在升级数据库（备份已保存）…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Step %1 of %2: %3</source>
        <translation>第 %1 步，共 %2 步：%3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>On a large database this takes a few minutes; Fieldmark continues by itself when it is done.</source>
        <translation>数据量大时需要几分钟；完成后 Fieldmark 会自动继续。</translation>
    </message>
    <message>
        <location line="+109"/>
        <source>Choose a new, empty folder for this computer&apos;s data</source>
        <translation>为本机数据选择一个新的空文件夹</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The folder %1 already holds other files. Choose an empty folder, or make a new one with the dialog&apos;s “Create Folder” button.</source>
        <translation>文件夹 %1 中已有其他文件。请选择一个空文件夹，或用对话框中的“新建文件夹”按钮新建一个。</translation>
    </message>
</context>
<context>
    <name>sync_problems</name>
    <message>
        <location filename="../../ui/labels.py" line="+16"/>
        <source>New customer</source>
        <translation>新建客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Customer changed</source>
        <translation>修改客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New contact</source>
        <translation>新建联系人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Contact changed</source>
        <translation>修改联系人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Touchpoint logged</source>
        <translation>记录跟进</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Visit saved</source>
        <translation>拜访已保存</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Visit submitted</source>
        <translation>拜访已提交</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Visit draft discarded</source>
        <translation>拜访草稿已删除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Photo or recording added</source>
        <translation>添加照片或录音</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Photo label changed</source>
        <translation>照片类别已更改</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Photo or recording removed</source>
        <translation>移除照片或录音</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Visit rule changed</source>
        <translation>拜访规则已修改</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New quote</source>
        <translation>新建报价单</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quote changed</source>
        <translation>修改报价单</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quote line changed</source>
        <translation>修改报价明细</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quote line removed</source>
        <translation>删除报价明细</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quote submitted</source>
        <translation>提交报价审批</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quote copied</source>
        <translation>复制报价单</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quote revised</source>
        <translation>报价单出新版本</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quote approval decision</source>
        <translation>报价审批</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quote marked as sent</source>
        <translation>报价已标记为已发送</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quote withdrawn</source>
        <translation>报价已撤回</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Contact removed</source>
        <translation>联系人已删除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New product</source>
        <translation>新产品</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Product changed</source>
        <translation>产品已修改</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New user</source>
        <translation>新用户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>User changed</source>
        <translation>用户已修改</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Password changed</source>
        <translation>密码已修改</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Approval policy changed</source>
        <translation>审批规则已修改</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Exchange rate recorded</source>
        <translation>汇率已记录</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Other change</source>
        <translation>其他修改</translation>
    </message>
    <message>
        <location line="-29"/>
        <source>Follow-up done</source>
        <translation>跟进已完成</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Follow-up postponed</source>
        <translation>跟进已推迟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Follow-up handed over</source>
        <translation>跟进已转交</translation>
    </message>
    <message>
        <location filename="../../ui/problem_text.py" line="+28"/>
        <source>Approve</source>
        <translation>批准</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Reject</source>
        <translation>驳回</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>(no longer on this computer)</source>
        <translation>（已不在本机）</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+94"/>
        <source>Visit</source>
        <translation>拜访</translation>
    </message>
    <message>
        <location line="-91"/>
        <source>%1 revision %2</source>
        <translation>%1 第 %2 版</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Items: %1</source>
        <translation>共 %1 项</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>Add recording %1 to %2</source>
        <translation>添加录音 %1 到 %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Add photo %1 to %2</source>
        <translation>添加照片 %1 到 %2</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
</context>
<context>
    <name>workbench</name>
    <message>
        <location filename="../../ui/workbench.py" line="+96"/>
        <source>My customers</source>
        <translation>我的客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Today&apos;s plan</source>
        <translation>今日计划</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Log a touchpoint…</source>
        <translation>记录触点…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Record a visit…</source>
        <translation>记录拜访…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Visit rules</source>
        <translation>拜访规则</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Visit review</source>
        <translation>拜访审核</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Team activity</source>
        <translation>团队动态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Customers by owner</source>
        <translation>按负责人查看客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Customers</source>
        <translation>客户</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Approvals inbox</source>
        <translation>审批收件箱</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quotes</source>
        <translation>报价单</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Products</source>
        <translation>产品目录</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Exchange rates</source>
        <translation>汇率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Approval policy</source>
        <translation>报价审批规则</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>After-sales</source>
        <translation>售后</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The after-sales pool is not available yet; it arrives in a later version.</source>
        <translation>售后问题池尚未开放，将在后续版本中提供。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Sync problems</source>
        <translation>同步问题</translation>
    </message>
</context>
</TS>
